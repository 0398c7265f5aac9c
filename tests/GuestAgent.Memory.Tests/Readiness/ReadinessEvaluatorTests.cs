using GuestAgent.Memory.Readiness;
using GuestAgent.Memory.Sysfs;
using GuestAgent.TestSupport;

namespace GuestAgent.Memory.Tests.Readiness;

public class ReadinessEvaluatorTests
{
    private static DimmReadiness Evaluate(Action<FakeSysfsTree> build, int slot = 0, string? busy = null)
    {
        using var tree = new FakeSysfsTree();
        tree.AddBootMemory(8);
        build(tree);
        var snapshot = new SysfsMemoryReader(tree.Root).Read();
        return ReadinessEvaluator.Evaluate(snapshot, snapshot.FindDimmBySlot(slot)!, busy);
    }

    [Fact]
    public void EveryBlockMovableIsReady()
    {
        var r = Evaluate(t => t.AddDimm(0, 32, 2, "online", "Movable"));
        Assert.Equal(ReadinessState.Ready, r.State);
        Assert.Equal("all 2 blocks online in Movable", r.Reason);
    }

    [Fact]
    public void EveryBlockOfflineIsReady()
    {
        var r = Evaluate(t => t.AddDimm(0, 32, 2));
        Assert.Equal(ReadinessState.Ready, r.State);
        Assert.Equal("all 2 blocks offline", r.Reason);
    }

    [Fact]
    public void ABlockInZoneNormalIsNotReadyAndNamed()
    {
        var r = Evaluate(t =>
        {
            t.AddDimm(0, 32, 2, "online", "Movable");
            t.SetBlock(33, "online", "Normal");
        });
        Assert.Equal(ReadinessState.NotReady, r.State);
        Assert.Equal("memory33 is in zone Normal", r.Reason);
    }

    [Fact]
    public void GoingOfflineAndSpanningZonesAreNotReady()
    {
        Assert.Equal("memory32 is going offline", Evaluate(t =>
        {
            t.AddDimm(0, 32, 1, "online", "Movable");
            t.SetBlock(32, "going-offline", "Movable");
        }).Reason);
        Assert.Contains("spans several zones", Evaluate(t => t.AddDimm(0, 32, 1, "online", "none")).Reason);
    }

    [Fact]
    public void BusyWinsOverBlocksAndBootMemoryWinsOverAll()
    {
        var busy = Evaluate(t => t.AddDimm(0, 32, 1, "online", "Movable"), busy: "preparing unplug");
        Assert.Equal(new DimmReadiness(ReadinessState.Busy, "preparing unplug"), busy);

        using var tree = new FakeSysfsTree();
        tree.AddBootMemory(8);
        var snapshot = new SysfsMemoryReader(tree.Root).Read();
        var boot = ReadinessEvaluator.Evaluate(snapshot, snapshot.Dimms[0], "busy");
        Assert.Equal(ReadinessState.BootMemory, boot.State);
    }

    [Fact]
    public void AnyAlignedRangeCanBeEvaluated()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBootMemory(8).AddDimm(0, 32, 2, "online", "Movable").AddDimm(1, 34, 2, "online", "Normal");
        var snapshot = new SysfsMemoryReader(tree.Root).Read();
        var bs = tree.BlockSize;

        Assert.Equal(ReadinessState.Ready, ReadinessEvaluator.EvaluateRange(snapshot, 32 * bs, 2 * bs).State);
        Assert.Equal("memory34 is in zone Normal", ReadinessEvaluator.EvaluateRange(snapshot, 33 * bs, 2 * bs).Reason);
        Assert.Equal(ReadinessState.BootMemory, ReadinessEvaluator.EvaluateRange(snapshot, 0, bs).State);
        Assert.Equal("no memory blocks", ReadinessEvaluator.EvaluateRange(snapshot, 100 * bs, bs).Reason);
        Assert.Throws<ArgumentException>(() => ReadinessEvaluator.EvaluateRange(snapshot, 1, bs));
        Assert.Throws<ArgumentException>(() => ReadinessEvaluator.EvaluateRange(snapshot, 0, 0));
    }
}
