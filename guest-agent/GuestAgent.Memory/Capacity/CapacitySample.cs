namespace GuestAgent.Memory.Capacity;

/// <summary>
/// The kernel's memory accounting at one moment: <c>/proc/meminfo</c> and <c>/proc/zoneinfo</c>. When it could not be
/// read, <see cref="Problem"/> says why and the capacity of the guest is unknown (nothing is then called safe).
/// </summary>
public sealed record CapacitySample
{
    public Meminfo? Meminfo { get; init; }

    public IReadOnlyList<ZoneStatistics> Zones { get; init; } = [];

    /// <summary>The size of the pages zoneinfo counts (4 KiB on x86).</summary>
    public long PageSize { get; init; } = 4096;

    public string? Problem { get; init; }

    /// <summary><c>MemAvailable</c> in bytes; null when unknown.</summary>
    public long? AvailableBytes => Problem is null ? Meminfo?.AvailableBytes : null;

    public static CapacitySample Unknown(string problem) => new() { Problem = problem };

    /// <summary>Pages in use in the Movable zone of <paramref name="node"/>, in bytes (0 when the node has none).</summary>
    public long MovableUsedBytes(int node) =>
        Zones.Where(z => z.Node == node && z.Name == Model.ZoneNames.Movable).Sum(z => z.UsedPages) * PageSize;

    /// <summary>
    /// Free kernel-zone memory above each zone's high watermark and lowmem reserve, in bytes: what kernel allocations
    /// (the memmap of new memory among them) can still get without reclaim.
    /// </summary>
    public long KernelFreeBytes(int? node = null) =>
        Zones.Where(z => z.Name != Model.ZoneNames.Movable && z.ManagedPages > 0 && (node is null || z.Node == node))
            .Sum(z => Math.Max(0, z.FreePages - z.HighPages - z.MaxProtection)) * PageSize;

    /// <summary>A node-wide figure of zoneinfo's "per-node stats" summed over the nodes (e.g. <c>nr_balloon_pages</c>).</summary>
    public long NodeStatistic(string name) =>
        Zones.GroupBy(z => z.Node).Sum(g => g.First().NodeStatistics.GetValueOrDefault(name));
}
