using GuestAgent.Memory.Capacity;
using GuestAgent.Memory.Readiness;

namespace GuestAgent.TestSupport;

/// <summary>Memory accounting for pure tests: a guest with plenty available, or exactly what a test says.</summary>
public static class TestCapacity
{
    public const long Reserve = 128L << 20;

    public static CapacitySample Available(long bytes, long? total = null, IReadOnlyList<ZoneStatistics>? zones = null) => new()
    {
        Meminfo = new Meminfo { TotalBytes = total ?? Math.Max(bytes, 2L << 30), AvailableBytes = bytes, FreeBytes = bytes },
        Zones = zones ?? [],
    };

    /// <summary>64 GiB available: every capacity check passes.</summary>
    public static CapacitySample Plenty() => Available(64L << 30);

    public static ReadinessContext Context(CapacitySample? capacity = null, IReadOnlyDictionary<string, string>? busy = null) => new()
    {
        Capacity = capacity ?? Plenty(),
        ReserveBytes = Reserve,
        Busy = busy ?? new Dictionary<string, string>(),
    };
}
