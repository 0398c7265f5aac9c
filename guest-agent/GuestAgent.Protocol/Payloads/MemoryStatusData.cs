namespace GuestAgent.Protocol.Payloads;

/// <summary>
/// <c>MEMORY_STATUS</c>: the guest's memory and pressure now and what it can give back, pushed every interval to a
/// connection that asked with <c>watch-memory</c> (docs/protocol.md, "Watching the guest's memory").
/// </summary>
public sealed record MemoryStatusData
{
    /// <summary><c>MemTotal</c> in bytes; null when <c>/proc/meminfo</c> could not be read (<see cref="Problem"/> says why).</summary>
    public long? Total { get; init; }

    /// <summary><c>MemAvailable</c> in bytes; null when unreadable.</summary>
    public long? Available { get; init; }

    /// <summary>PSI for memory; null where the kernel has none (<see cref="Problem"/> says so).</summary>
    public MemoryPressureReport? Pressure { get; init; }

    /// <summary>What could not be read, for people; null when everything was.</summary>
    public string? Problem { get; init; }

    /// <summary>Available minus the unplug reserve: the DIMMs given back together must hold at most this.</summary>
    public long? Headroom { get; init; }

    /// <summary>How much more memory the guest can take now and still give back; null when it sees no limit.</summary>
    public long? PlugBudget { get; init; }

    /// <summary>Per hot-plugged device (DIMMs and virtio-mem; never boot memory): what it can give back now, and why.</summary>
    public required IReadOnlyList<DeviceStatusReport> Devices { get; init; }
}
