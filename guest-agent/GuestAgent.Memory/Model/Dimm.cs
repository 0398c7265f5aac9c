namespace GuestAgent.Memory.Model;

/// <summary>A unit of memory that is plugged and unplugged as a whole, with the blocks that make it up.</summary>
public sealed record Dimm
{
    /// <summary>Stable name: <c>slotN</c> for an ACPI DIMM, <c>virtio-mem@0x…</c> for a virtio-mem device's region, <c>boot@0x…</c> or <c>range@0x…</c> otherwise.</summary>
    public required string Id { get; init; }

    public required DimmKind Kind { get; init; }

    /// <summary>The hypervisor's slot (ACPI <c>_UID</c>); null for boot memory and ranges.</summary>
    public int? Slot { get; init; }

    /// <summary>The ACPI device name (<c>PNP0C80:NN</c>) where there is one.</summary>
    public string? AcpiDevice { get; init; }

    /// <summary>For virtio-mem: the virtio device (<c>virtioN</c>) and how much of its region the driver has added as memory.</summary>
    public VirtioMemRegion? VirtioMem { get; init; }

    public required long StartAddress { get; init; }

    public required long SizeBytes { get; init; }

    /// <summary>NUMA node of its blocks; null if unknown or if its blocks disagree.</summary>
    public int? Node { get; init; }

    /// <summary>Block ids, ascending by address.</summary>
    public required IReadOnlyList<int> BlockIds { get; init; }

    /// <summary>
    /// True for boot memory; for a DIMM, whether it was already there when the agent first looked after this boot (recorded
    /// under the agent's runtime directory); null when the agent has no record.
    /// </summary>
    public bool? PresentAtBoot { get; init; }

    public long EndAddress => StartAddress + SizeBytes;

    public bool IsRemovable => Kind != DimmKind.Boot;
}
