using FsCheck;
using FsCheck.Fluent;
using GuestAgent.Memory.Model;

namespace GuestAgent.Memory.Tests.Properties;

/// <summary>Generates <see cref="GeneratedLayout"/>s: boot memory, gaps, DIMMs, all block states and zones, two nodes.</summary>
public static class LayoutGenerator
{
    private static readonly (string State, string Zones)[] Kinds =
    [
        ("online", "Movable"), ("online", "Normal"), ("online", "DMA32"), ("online", "none"),
        ("offline", "Normal Movable"), ("offline", "Normal"), ("going-offline", "Movable"), ("garbage", ""),
    ];

    public static Arbitrary<GeneratedLayout> Arbitrary() => Generate().ToArbitrary();

    public static Gen<GeneratedLayout> Generate() =>
        from bootBlocks in Gen.Choose(0, 8)
        from groups in Gen.ListOf(Group()).Select(g => g.Take(12).ToList())
        select Build(bootBlocks, groups);

    private static Gen<(int Gap, int Count, bool Acpi, int Node, int[] Kinds)> Group() =>
        from gap in Gen.Choose(0, 4)
        from count in Gen.Choose(1, 6)
        from acpi in Gen.Elements(true, true, false)
        from node in Gen.Choose(0, 1)
        from kinds in Gen.ArrayOf(Gen.Choose(0, Kinds.Length - 1), count)
        select (gap, count, acpi, node, kinds);

    private static GeneratedLayout Build(int bootBlocks, List<(int Gap, int Count, bool Acpi, int Node, int[] Kinds)> groups)
    {
        var blocks = new List<MemoryBlock>();
        var devices = new List<AcpiMemoryDevice>();
        for (var i = 0; i < bootBlocks; i++)
        {
            blocks.Add(Block(i, "online", "DMA32", 0));
        }

        var next = Math.Max(bootBlocks, 1) + 8;
        var slot = 0;
        foreach (var (gap, count, acpi, node, kinds) in groups)
        {
            next += gap;
            var ids = new List<int>();
            for (var i = 0; i < count; i++)
            {
                var (state, zones) = Kinds[kinds[i % kinds.Length]];
                blocks.Add(Block(next, state, zones, node));
                ids.Add(next++);
            }

            if (acpi)
            {
                devices.Add(new AcpiMemoryDevice { Name = $"PNP0C80:{slot:x2}", Slot = slot, UidText = $"{slot}", Status = 15, BlockIds = ids });
                slot++;
            }
        }

        return new GeneratedLayout(blocks, devices);
    }

    private static MemoryBlock Block(int id, string state, string zones, int node) => new()
    {
        Id = id,
        PhysIndex = id,
        State = Memory.Sysfs.SysfsValueParser.ParseState(state),
        StateText = state,
        ValidZones = Memory.Sysfs.SysfsValueParser.ParseZones(zones),
        Node = node,
    };
}
