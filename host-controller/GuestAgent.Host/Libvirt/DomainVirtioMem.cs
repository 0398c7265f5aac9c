namespace GuestAgent.Host.Libvirt;

/// <summary>
/// A <c>&lt;memory model='virtio-mem'&gt;</c> of a domain XML: its region (<c>target/size</c>), block, requested size
/// and, in the live XML, <c>current</c> (what the guest has plugged) and, where libvirt shows it, the region's base.
/// </summary>
public sealed record DomainVirtioMem
{
    public string? Alias { get; init; }

    public long Size { get; init; }

    public int Node { get; init; }

    public long Block { get; init; }

    public long Requested { get; init; }

    /// <summary>Live only: what the guest has plugged.</summary>
    public long? Current { get; init; }

    /// <summary>The region's guest physical base (<c>target/address base</c>), where libvirt shows it.</summary>
    public long? Base { get; init; }

    /// <summary>The element as libvirt wrote it: what an update sends back with a new <c>requested</c>.</summary>
    public required string Xml { get; init; }
}
