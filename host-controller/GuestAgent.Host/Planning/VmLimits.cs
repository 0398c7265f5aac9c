namespace GuestAgent.Host.Planning;

/// <summary>What bounds hot-plug on one VM: the guest's memory block size, the plug multiple, DIMM slots and maxmem.</summary>
public sealed record VmLimits
{
    /// <summary>The guest's memory block size (128 MiB on small x86 guests, 2 GiB on large ones).</summary>
    public required long BlockSize { get; init; }

    /// <summary>Every DIMM is a multiple of this (oVirt: 128 MiB on x86 today, 256 MiB earlier).</summary>
    public required long Multiple { get; init; }

    /// <summary>DIMM slots (QEMU's <c>-m …,slots=N</c>); null when unknown.</summary>
    public int? Slots { get; init; }

    /// <summary>Boot memory plus every DIMM may not exceed this (QEMU's <c>maxmem</c>); null when unknown.</summary>
    public long? MaxMemory { get; init; }

    /// <summary>The granularity a DIMM's size must have: a multiple of both the block size and the plug multiple.</summary>
    public long Granularity => Lcm(BlockSize, Multiple);

    private static long Lcm(long a, long b)
    {
        var (x, y) = (a, b);
        while (y != 0)
        {
            (x, y) = (y, x % y);
        }

        return a / x * b;
    }
}
