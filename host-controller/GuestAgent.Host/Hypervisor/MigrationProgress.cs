namespace GuestAgent.Host.Hypervisor;

/// <summary>
/// A live migration's progress as the hypervisor reports it (QEMU's <c>query-migrate</c>): its status and figures;
/// times in milliseconds, sizes in bytes; null where the hypervisor does not say.
/// </summary>
public sealed record MigrationProgress
{
    /// <summary><c>setup</c>, <c>active</c>, <c>completed</c>, <c>failed</c>, <c>cancelled</c>…; null: no migration yet.</summary>
    public string? Status { get; init; }

    public long? TotalTimeMs { get; init; }

    /// <summary>How long the VM stood still for the switch (once completed).</summary>
    public long? DowntimeMs { get; init; }

    /// <summary>The downtime QEMU expects for the switch (while active).</summary>
    public long? ExpectedDowntimeMs { get; init; }

    public long? SetupTimeMs { get; init; }

    public long? RamTotal { get; init; }

    public long? RamTransferred { get; init; }

    public long? RamRemaining { get; init; }

    public double? Mbps { get; init; }

    /// <summary>Why it failed, as the hypervisor says.</summary>
    public string? Error { get; init; }

    public bool Ended => Status is "completed" or "failed" or "cancelled";
}
