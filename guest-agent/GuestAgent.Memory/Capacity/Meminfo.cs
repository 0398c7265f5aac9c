namespace GuestAgent.Memory.Capacity;

/// <summary>
/// The figures of <c>/proc/meminfo</c> the capacity check uses, in bytes (the file says kB, meaning KiB). A figure the
/// kernel does not print is null; <see cref="Raw"/> keeps every line as read, in KiB or pages, so an unexpected format
/// can be diagnosed.
/// </summary>
public sealed record Meminfo
{
    public long? TotalBytes { get; init; }

    public long? FreeBytes { get; init; }

    /// <summary>
    /// <c>MemAvailable</c>: the kernel's estimate of what can be allocated without swapping: free memory above the
    /// zones' high watermarks and lowmem reserves, plus the reclaimable part of the file cache and of reclaimable slab.
    /// Not tmpfs/shmem, not anonymous memory (nothing to swap to in most guests), not huge pages.
    /// </summary>
    public long? AvailableBytes { get; init; }

    /// <summary>tmpfs and shared anonymous memory: counted in the cache, but not reclaimable without swap.</summary>
    public long? ShmemBytes { get; init; }

    public long? FileCacheBytes { get; init; }

    public long? HugePagesTotal { get; init; }

    public long? HugePagesFree { get; init; }

    public long? HugePageSizeBytes { get; init; }

    public IReadOnlyDictionary<string, long> Raw { get; init; } = new Dictionary<string, long>();
}
