namespace GuestAgent.Host.Libvirt;

/// <summary>A <c>&lt;memory model='dimm'&gt;</c> of a domain XML; slot and base are there once libvirt has placed it (live XML).</summary>
public sealed record DomainDimm
{
    public string? Alias { get; init; }

    public long Size { get; init; }

    public int Node { get; init; }

    public int? Slot { get; init; }

    public long? Base { get; init; }
}
