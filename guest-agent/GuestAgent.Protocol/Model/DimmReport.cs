namespace GuestAgent.Protocol.Model;

/// <summary>One DIMM (or boot memory range) with its readiness for unplug.</summary>
public sealed record DimmReport
{
    /// <summary><c>slotN</c>, <c>virtio-mem@0x…</c>, <c>boot@0x…</c> or <c>range@0x…</c>.</summary>
    public required string Id { get; init; }

    /// <summary><c>acpi</c>, <c>virtio-mem</c>, <c>boot</c> or <c>range</c>.</summary>
    public required string Kind { get; init; }

    public int? Slot { get; init; }

    public string? AcpiDevice { get; init; }

    /// <summary>virtio-mem: the virtio device in the guest (<c>virtioN</c>).</summary>
    public string? VirtioDevice { get; init; }

    /// <summary>virtio-mem: bytes of its region the guest's driver has added as memory (whole blocks).</summary>
    public long? Plugged { get; init; }

    /// <summary>virtio-mem: of those, bytes online in Movable.</summary>
    public long? MovableBytes { get; init; }

    /// <summary>virtio-mem: bytes the guest can give back now (its Movable part the rest of the guest can absorb, and its offline part).</summary>
    public long? Unpluggable { get; init; }

    /// <summary>Guest physical start address in bytes.</summary>
    public required long Start { get; init; }

    /// <summary>Its size in bytes; for virtio-mem, its whole region (the device's largest size).</summary>
    public required long Size { get; init; }

    public int? Node { get; init; }

    /// <summary>Block names (<c>memoryN</c>), ascending by address.</summary>
    public required IReadOnlyList<string> Blocks { get; init; }

    /// <summary><c>online</c>, <c>offline</c>, <c>going-offline</c>, <c>mixed</c> or <c>unknown</c>.</summary>
    public required string State { get; init; }

    /// <summary>Zones of its online blocks, distinct, in block order.</summary>
    public required IReadOnlyList<string> Zones { get; init; }

    public bool? PresentAtBoot { get; init; }

    public required bool Removable { get; init; }

    /// <summary><c>ready</c>, <c>not-ready</c>, <c>busy</c> or <c>boot-memory</c>.</summary>
    public required string Readiness { get; init; }

    public required string Reason { get; init; }

    /// <summary>For not-ready: what stands in the way (<c>kernel-zone</c>, <c>spans-zones</c>, <c>going-offline</c>, <c>unreadable</c>, <c>no-blocks</c>, <c>capacity</c>, <c>capacity-unknown</c>).</summary>
    public string? Blocker { get; init; }

    /// <summary>Its memory that is online now, in bytes: what an unplug takes from the guest.</summary>
    public long? OnlineBytes { get; init; }

    /// <summary>At most this much of it is in use and must move elsewhere (an estimate: the kernel counts usage per zone, not per DIMM).</summary>
    public long? Holds { get; init; }
}
