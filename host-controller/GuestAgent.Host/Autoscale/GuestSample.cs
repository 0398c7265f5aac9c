namespace GuestAgent.Host.Autoscale;

/// <summary>
/// One report the agent pushed (<c>MEMORY_STATUS</c>): the guest's memory and pressure at <see cref="Time"/> (the
/// controller's clock when it arrived) and what it can give back now.
/// </summary>
public sealed record GuestSample
{
    public required DateTimeOffset Time { get; init; }

    public required long Total { get; init; }

    public required long Available { get; init; }

    /// <summary>PSI "some" avg10 in percent; null where the guest's kernel has PSI off.</summary>
    public double? PressureSome { get; init; }

    /// <summary>PSI "full" avg10 in percent; null where the guest's kernel has PSI off.</summary>
    public double? PressureFull { get; init; }

    /// <summary>Per device the guest could give back now, what (bytes): a ready DIMM its size, a virtio-mem device its unpluggable part.</summary>
    public IReadOnlyDictionary<string, long> CanGo { get; init; } = new Dictionary<string, long>();

    /// <summary>How much more the guest can take and still give back; null when it sees no limit.</summary>
    public long? PlugBudget { get; init; }

    /// <summary>Available minus the guest's unplug reserve: the DIMMs given back together must hold at most this; null when unknown.</summary>
    public long? Headroom { get; init; }

    public double AvailablePercent => Total > 0 ? 100.0 * Available / Total : 0;

    /// <summary>A report as a sample; null when the guest could not read its own memory (its problem is then said instead).</summary>
    public static GuestSample? From(GuestAgent.Protocol.Payloads.MemoryStatusData status, DateTimeOffset at) =>
        status is { Total: { } total and > 0, Available: { } available }
            ? new GuestSample
            {
                Time = at, Total = total, Available = available,
                PressureSome = status.Pressure?.SomeAvg10, PressureFull = status.Pressure?.FullAvg10,
                CanGo = status.Devices.GroupBy(d => d.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().CanGo, StringComparer.Ordinal),
                PlugBudget = status.PlugBudget, Headroom = status.Headroom,
            }
            : null;
}
