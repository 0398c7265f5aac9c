namespace GuestAgent.Host.State;

/// <summary>One live migration this controller started: where to, when, and how it ended (what moved with the VM).</summary>
public sealed class MigrationRecord
{
    /// <summary>The migration URI (<c>unix:/run/vm/mig.sock</c>, <c>tcp:dest:4444</c>).</summary>
    public required string To { get; init; }

    public required DateTimeOffset Started { get; init; }

    public DateTimeOffset? Ended { get; set; }

    /// <summary><c>completed</c>, <c>failed</c>, <c>cancelled</c>; null while it runs.</summary>
    public string? Outcome { get; set; }

    public long? TotalTimeMs { get; set; }

    public long? DowntimeMs { get; set; }

    /// <summary>The DIMMs (ids) and virtio-mem devices that moved with the VM.</summary>
    public List<string> Devices { get; set; } = [];
}
