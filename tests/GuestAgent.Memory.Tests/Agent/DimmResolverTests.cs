using GuestAgent.Memory.Agent;
using GuestAgent.Memory.Model;
using GuestAgent.Memory.Sysfs;
using GuestAgent.TestSupport;

namespace GuestAgent.Memory.Tests.Agent;

public class DimmResolverTests
{
    private static MemorySnapshot Snapshot()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBootMemory(8).AddDimm(0, 32, 4, "online", "Movable");
        return new SysfsMemoryReader(tree.Root).Read();
    }

    [Fact]
    public void SlotsIdsAndRangesNameDimms()
    {
        var snapshot = Snapshot();
        var bs = snapshot.BlockSize;

        Assert.Equal("slot0", DimmResolver.Resolve(snapshot, DimmSelector.ForSlot(0)).Id);
        Assert.Equal("slot0", DimmResolver.Resolve(snapshot, DimmSelector.ForId("slot0")).Id);
        var range = DimmResolver.Resolve(snapshot, DimmSelector.ForRange(34 * bs, 2 * bs));
        Assert.Equal(($"range@0x{34 * bs:x}+0x{2 * bs:x}", DimmKind.Range), (range.Id, range.Kind));
        Assert.Equal([34, 35], DimmResolver.Resolve(snapshot, DimmSelector.ForId(range.Id)).BlockIds);
    }

    [Fact]
    public void BootMemoryIsBootMemoryWhicheverWayItIsNamed()
    {
        var snapshot = Snapshot();
        var bs = snapshot.BlockSize;

        Assert.Equal(DimmKind.Boot, DimmResolver.Resolve(snapshot, DimmSelector.ForId("boot@0x0")).Kind);
        Assert.Equal(DimmKind.Boot, DimmResolver.Resolve(snapshot, DimmSelector.ForId("range@0x0")).Kind);
        Assert.Equal(DimmKind.Boot, DimmResolver.Resolve(snapshot, DimmSelector.ForRange(0, bs)).Kind);
        Assert.Equal(DimmKind.Boot, DimmResolver.Resolve(snapshot, DimmSelector.ForId($"range@0x0+0x{bs:x}")).Kind);
    }

    [Fact]
    public void WhatNamesNothingIsNotFoundAndSaysWhatThereIs()
    {
        var snapshot = Snapshot();

        var slot = Assert.Throws<MemoryOperationException>(() => DimmResolver.Resolve(snapshot, DimmSelector.ForSlot(7)));
        var id = Assert.Throws<MemoryOperationException>(() => DimmResolver.Resolve(snapshot, DimmSelector.ForId("range@0x900000000")));
        var junk = Assert.Throws<MemoryOperationException>(() => DimmResolver.Resolve(snapshot, DimmSelector.ForId("range@zzz")));
        var unaligned = Assert.Throws<MemoryOperationException>(() => DimmResolver.Resolve(snapshot, DimmSelector.ForRange(1, 2)));

        Assert.Equal("no DIMM in slot 7 (the guest has: slot0)", slot.Message);
        Assert.Equal(MemoryOperationError.NotFound, id.Error);
        Assert.Equal(MemoryOperationError.NotFound, junk.Error);
        Assert.Equal(MemoryOperationError.BadArgument, unaligned.Error);
    }
}
