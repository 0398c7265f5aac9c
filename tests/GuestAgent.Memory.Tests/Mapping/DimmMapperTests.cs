using GuestAgent.Memory.Mapping;
using GuestAgent.Memory.Model;

namespace GuestAgent.Memory.Tests.Mapping;

public class DimmMapperTests
{
    private const long BlockSize = 128L << 20;

    private static MemoryBlock Block(int id, string state = "online", string zones = "Normal", int? node = 0) => new()
    {
        Id = id,
        PhysIndex = id,
        State = Memory.Sysfs.SysfsValueParser.ParseState(state),
        StateText = state,
        ValidZones = zones.Split(' '),
        Node = node,
    };

    private static AcpiMemoryDevice Acpi(int slot, int status, params int[] blocks) =>
        new() { Name = $"PNP0C80:{slot:x2}", Slot = slot, UidText = slot.ToString(), Status = status, BlockIds = blocks };

    [Fact]
    public void EachPresentAcpiDeviceIsOneDimmAndTheRestIsBootMemory()
    {
        MemoryBlock[] blocks = [Block(0), Block(1), Block(32, "offline", "Normal Movable"), Block(33, "offline", "Normal Movable")];

        var dimms = DimmMapper.Map(blocks, [Acpi(0, 15, 33, 32), Acpi(1, 0)], BlockSize, null);

        Assert.Equal(2, dimms.Count);
        Assert.Equal(DimmKind.Boot, dimms[0].Kind);
        Assert.Equal("boot@0x0", dimms[0].Id);
        Assert.Equal("slot0", dimms[1].Id);
        Assert.Equal([32, 33], dimms[1].BlockIds);
        Assert.Equal(32 * BlockSize, dimms[1].StartAddress);
    }

    [Fact]
    public void APopulatedSlotWithoutBlocksIsReportedNotInvented()
    {
        var problems = new List<ReadProblem>();

        var dimms = DimmMapper.Map([Block(0)], [Acpi(3, 15)], BlockSize, null, problems.Add);

        Assert.Single(dimms);
        Assert.Contains(problems, p => p.Subject == "PNP0C80:03" && p.Message.Contains("no memory blocks"));
    }

    [Fact]
    public void ABlockClaimedTwiceStaysWithTheFirstDevice()
    {
        var problems = new List<ReadProblem>();

        var dimms = DimmMapper.Map([Block(0), Block(8), Block(9)], [Acpi(0, 15, 8, 9), Acpi(1, 15, 9)], BlockSize, null, problems.Add);

        Assert.Equal([8, 9], dimms.Single(d => d.Slot == 0).BlockIds);
        Assert.Null(dimms.SingleOrDefault(d => d.Slot == 1));
        Assert.Contains(problems, p => p.Message.Contains("more than one"));
    }

    [Fact]
    public void LinksToBlocksThatAreGoneAreIgnored()
    {
        var dimms = DimmMapper.Map([Block(0), Block(8)], [Acpi(0, 15, 8, 9)], BlockSize, null);

        Assert.Equal([8], dimms.Single(d => d.Slot == 0).BlockIds);
    }

    [Fact]
    public void WithoutAcpiBlocksAreGroupedByContiguousAddressesAndNode()
    {
        MemoryBlock[] blocks = [Block(0), Block(1), Block(4), Block(5), Block(6, node: 1)];

        var dimms = DimmMapper.Map(blocks, [], BlockSize, null);

        Assert.Equal(["boot@0x0", "range@0x20000000", "range@0x30000000"], dimms.Select(d => d.Id));
        Assert.Equal([DimmKind.Boot, DimmKind.Range, DimmKind.Range], dimms.Select(d => d.Kind));
        Assert.Equal(2 * BlockSize, dimms[1].SizeBytes);
    }

    [Fact]
    public void ADimmWhoseBlocksDisagreeOnTheNodeHasNoNode()
    {
        var dimms = DimmMapper.Map([Block(8, node: 0), Block(9, node: 1)], [Acpi(0, 15, 8, 9)], BlockSize, null);

        Assert.Null(Assert.Single(dimms).Node);
    }

    [Fact]
    public void TheBlocksInAVirtioMemRegionAreThatDevicesEvenWhereAcpiDevicesExist()
    {
        MemoryBlock[] blocks = [Block(0), Block(32, "online", "Movable"), Block(33, "offline", "Normal Movable"), Block(40, "offline", "Normal Movable")];
        var region = new VirtioMemRegion("virtio4", 32 * BlockSize, 8 * BlockSize, 2 * BlockSize);

        var dimms = DimmMapper.Map(blocks, [Acpi(0, 15, 40)], BlockSize, null, virtioMem: [region]);

        Assert.Equal(["boot@0x0", "virtio-mem@0x100000000", "slot0"], dimms.Select(d => d.Id));
        var device = dimms[1];
        Assert.Equal(DimmKind.VirtioMem, device.Kind);
        Assert.Equal([32, 33], device.BlockIds);
        Assert.Equal(8 * BlockSize, device.SizeBytes);
        Assert.Same(region, device.VirtioMem);
        Assert.True(device.IsRemovable);
    }

    [Fact]
    public void AVirtioMemDeviceWithNothingPluggedIsStillReported()
    {
        var device = DimmMapper.Map([Block(0)], [], BlockSize, null, virtioMem: [new VirtioMemRegion("virtio4", 32 * BlockSize, 8 * BlockSize, 0)])
            .Single(d => d.Kind == DimmKind.VirtioMem);

        Assert.Empty(device.BlockIds);
        Assert.Null(device.Node);
    }
}
