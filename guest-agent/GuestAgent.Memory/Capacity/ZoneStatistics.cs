namespace GuestAgent.Memory.Capacity;

/// <summary>
/// One zone of one node as <c>/proc/zoneinfo</c> describes it, in pages. <see cref="Protection"/> is the lowmem reserve:
/// entry i is how many pages this zone keeps free from allocations that could have used zone i instead.
/// </summary>
public sealed record ZoneStatistics
{
    public required int Node { get; init; }

    /// <summary>As zoneinfo names it: <c>DMA</c>, <c>DMA32</c>, <c>Normal</c>, <c>Movable</c>, <c>Device</c>.</summary>
    public required string Name { get; init; }

    public long FreePages { get; init; }

    public long MinPages { get; init; }

    public long LowPages { get; init; }

    public long HighPages { get; init; }

    public long PresentPages { get; init; }

    /// <summary>Pages the buddy allocator manages: present minus what the kernel reserved at boot.</summary>
    public long ManagedPages { get; init; }

    public IReadOnlyList<long> Protection { get; init; } = [];

    /// <summary>Node-wide figures printed once per node (under its first zone), e.g. <c>nr_balloon_pages</c>, <c>nr_hugetlb</c>.</summary>
    public IReadOnlyDictionary<string, long> NodeStatistics { get; init; } = new Dictionary<string, long>();

    /// <summary>Pages in use: managed minus free.</summary>
    public long UsedPages => Math.Max(0, ManagedPages - FreePages);

    /// <summary>The largest lowmem reserve this zone keeps, as the kernel's <c>totalreserve_pages</c> counts it.</summary>
    public long MaxProtection => Protection.Count == 0 ? 0 : Protection.Max();
}
