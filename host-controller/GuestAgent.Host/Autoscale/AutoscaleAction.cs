namespace GuestAgent.Host.Autoscale;

/// <summary>What a decision says to do.</summary>
public enum AutoscaleAction
{
    /// <summary>Nothing now (the reason says why).</summary>
    Hold,

    Grow,

    Shrink,

    /// <summary>Stop acting for good (repeated failures): the loop goes on reporting, not changing.</summary>
    Stop,
}
