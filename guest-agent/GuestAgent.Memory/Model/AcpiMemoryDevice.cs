namespace GuestAgent.Memory.Model;

/// <summary>An ACPI memory device (<c>PNP0C80:NN</c>): one hypervisor DIMM slot.</summary>
public sealed record AcpiMemoryDevice
{
    /// <summary>The device name, e.g. <c>PNP0C80:00</c>.</summary>
    public required string Name { get; init; }

    /// <summary><c>uid</c>: QEMU sets it to the DIMM slot number (as <c>0x01</c>). Null if missing or not a number.</summary>
    public int? Slot { get; init; }

    public string? UidText { get; init; }

    /// <summary>ACPI <c>_STA</c>: 0 for an empty slot, 15 when populated; null if missing.</summary>
    public int? Status { get; init; }

    /// <summary>Blocks reached through the <c>physical_node*</c> links.</summary>
    public IReadOnlyList<int> BlockIds { get; init; } = [];

    /// <summary>Present per <c>_STA</c> (bit 0), or, when status is unknown, when it has blocks.</summary>
    public bool IsPresent => Status is { } status ? (status & 1) != 0 : BlockIds.Count > 0;
}
