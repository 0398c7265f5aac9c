namespace GuestAgent.Host.Operations;

/// <summary>One virtio-mem device as the hypervisor and the guest see it, joined by its region's address.</summary>
public sealed record VirtioMemStatus
{
    /// <summary>The hypervisor's id for it (QEMU's device id).</summary>
    public required string Id { get; init; }

    public long Addr { get; init; }

    /// <summary>Its region: the most it can plug.</summary>
    public long MaxSize { get; init; }

    /// <summary>What it has plugged now (KubeVirt's current, the device's part).</summary>
    public long Size { get; init; }

    /// <summary>What the guest was asked to plug.</summary>
    public long RequestedSize { get; init; }

    public long BlockSize { get; init; }

    public int Node { get; init; }

    /// <summary>What the guest has added as memory blocks from it (whole blocks, so at least <see cref="Size"/> rounded up).</summary>
    public long? GuestPlugged { get; init; }

    /// <summary>Of that, online in Movable.</summary>
    public long? GuestMovable { get; init; }

    /// <summary>How much of it the guest can give back now, by its own accounting.</summary>
    public long? Unpluggable { get; init; }

    public required string Readiness { get; init; }

    public required string Reason { get; init; }
}
