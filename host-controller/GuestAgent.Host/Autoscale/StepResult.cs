namespace GuestAgent.Host.Autoscale;

public enum StepResult
{
    Done,

    /// <summary>Another command had the VM, a migration began, or the VM changed so that the decision no longer stood: nothing was asked.</summary>
    NotTaken,

    Failed,
}
