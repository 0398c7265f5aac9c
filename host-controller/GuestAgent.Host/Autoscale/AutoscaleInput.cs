using GuestAgent.Host.Hypervisor;

namespace GuestAgent.Host.Autoscale;

/// <summary>Everything a decision depends on, read or remembered by the loop.</summary>
public sealed record AutoscaleInput
{
    public required AutoscaleLimits Limits { get; init; }

    public required DateTimeOffset Now { get; init; }

    /// <summary>The agent's reports, oldest first (at least the window's worth, when the agent has been there that long).</summary>
    public required IReadOnlyList<GuestSample> Samples { get; init; }

    /// <summary>The VM as the hypervisor lists it; null when it was not read (no action is considered then).</summary>
    public VmShape? Vm { get; init; }

    /// <summary>Where the VM is in a migration.</summary>
    public MigrationPhase Migration { get; init; } = MigrationPhase.None;

    /// <summary>Another controller holding the VM's lock (a person's command), for people; null when none.</summary>
    public string? HeldBy { get; init; }

    /// <summary>When the last change (by this loop) ended; null when none yet.</summary>
    public DateTimeOffset? LastChange { get; init; }

    /// <summary>Failed steps in a row, and the last one's reason.</summary>
    public int Failures { get; init; }

    public string? LastFailure { get; init; }

    /// <summary>When the last failed step ended (the backoff counts from it).</summary>
    public DateTimeOffset? LastFailureAt { get; init; }
}
