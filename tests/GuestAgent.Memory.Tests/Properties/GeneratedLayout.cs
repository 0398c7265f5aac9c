using GuestAgent.Memory.Model;

namespace GuestAgent.Memory.Tests.Properties;

/// <summary>A generated guest: blocks with gaps and every state, some grouped into ACPI DIMMs.</summary>
public sealed record GeneratedLayout(IReadOnlyList<MemoryBlock> Blocks, IReadOnlyList<AcpiMemoryDevice> Devices)
{
    public const long BlockSize = 128L << 20;

    public override string ToString() =>
        string.Join(' ', Blocks.Select(b => $"{b.Id}:{b.StateText}/{string.Join(',', b.ValidZones)}@{b.Node}"))
        + " | " + string.Join(' ', Devices.Select(d => $"slot{d.Slot}=[{string.Join(',', d.BlockIds)}]"));
}
