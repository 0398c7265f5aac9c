using GuestAgent.Memory.Capacity;
using GuestAgent.Memory.Sysfs;
using GuestAgent.TestSupport;

namespace GuestAgent.Memory.Tests.Capacity;

public class UnplugCapacityTests
{
    private static Model.MemorySnapshot Snapshot()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBootMemory(8).AddDimm(0, 32, 2, "online", "Movable").AddDimm(1, 34, 2, "online", "Movable").AddDimm(2, 36, 2);
        return new SysfsMemoryReader(tree.Root).Read();
    }

    [Fact]
    public void WhatStaysIsAvailableMinusTheOnlineBytesWhateverIsHeld()
    {
        var snapshot = Snapshot();
        var both = new[] { snapshot.FindDimmBySlot(0)!, snapshot.FindDimmBySlot(1)! };

        var fits = UnplugCapacity.Evaluate(snapshot, TestCapacity.Available((512L << 20) + (128L << 20)), both, 128L << 20);
        var short1 = UnplugCapacity.Evaluate(snapshot, TestCapacity.Available((512L << 20) + (127L << 20)), both, 128L << 20);

        Assert.True(fits.Fits);
        Assert.Equal(512L << 20, fits.OnlineBytes);
        Assert.Equal(128L << 20, fits.AfterBytes);
        Assert.False(short1.Fits);
        Assert.Equal(1L << 20, short1.ShortBytes);
    }

    [Fact]
    public void HoldsIsBoundedByTheMovableZonesUseOnTheNode()
    {
        var snapshot = Snapshot();
        var zones = new List<ZoneStatistics> { new() { Node = 0, Name = "Movable", ManagedPages = (512L << 20) / 4096, FreePages = (412L << 20) / 4096 } };

        var one = UnplugCapacity.Evaluate(snapshot, TestCapacity.Available(2L << 30, zones: zones), [snapshot.FindDimmBySlot(0)!], 0);

        Assert.Equal(100L << 20, one.HoldsBytes); // the zone uses 100 MiB: at most that is on this DIMM
        Assert.Contains("can take what it holds (~100 MiB)", one.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void OfflineBlocksHoldNothingAndHeadroomIsWhatASetMayAddUpTo()
    {
        var snapshot = Snapshot();

        var offline = UnplugCapacity.Evaluate(snapshot, TestCapacity.Available(0), [snapshot.FindDimmBySlot(2)!], 128L << 20);

        Assert.True(offline.Fits);
        Assert.Equal(0, offline.OnlineBytes);
        Assert.Equal(72L << 20, UnplugCapacity.Headroom(TestCapacity.Available(200L << 20), 128L << 20));
        Assert.Equal(0, UnplugCapacity.Headroom(TestCapacity.Available(100L << 20), 128L << 20));
        Assert.Null(UnplugCapacity.Headroom(CapacitySample.Unknown("no"), 128L << 20));
    }
}
