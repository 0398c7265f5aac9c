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

    public double AvailablePercent => Total > 0 ? 100.0 * Available / Total : 0;
}
