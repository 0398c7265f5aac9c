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
        var dimm = snapshot.FindDimmBySlot(slot)!;
        return ReadinessEvaluator.Evaluate(snapshot, dimm, TestCapacity.Context(busy: busy is null ? null : new Dictionary<string, string> { [dimm.Id] = busy }));
    }

    [Fact]
    public void EveryBlockMovableIsReady()
    {
        var r = Evaluate(t => t.AddDimm(0, 32, 2, "online", "Movable"));
        Assert.Equal(ReadinessState.Ready, r.State);
        Assert.StartsWith("all 2 blocks online in Movable; the rest of the guest can take what it holds", r.Reason, StringComparison.Ordinal);
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
        Assert.StartsWith("memory33 is in zone Normal (onlined there outside the agent", r.Reason, StringComparison.Ordinal);
        Assert.Equal(ReadinessBlocker.KernelZone, r.Blocker);
    }

    [Fact]
    public void GoingOfflineAndSpanningZonesAreNotReady()
    {
        Assert.Equal("memory32 is going offline", Evaluate(t =>
        {
            t.AddDimm(0, 32, 1, "online", "Movable");
            t.SetBlock(32, "going-offline", "Movable Normal"); // not online: the zones it could be onlined into, as the kernel prints them
        }).Reason);
        Assert.Contains("spans several zones", Evaluate(t => t.AddDimm(0, 32, 1, "online", "none")).Reason);
    }

    [Fact]
    public void BusyWinsOverBlocksAndBootMemoryWinsOverAll()
    {
        var busy = Evaluate(t => t.AddDimm(0, 32, 1, "online", "Movable"), busy: "preparing unplug");
        Assert.Equal((ReadinessState.Busy, "preparing unplug"), (busy.State, busy.Reason));

        using var tree = new FakeSysfsTree();
        tree.AddBootMemory(8);
        var snapshot = new SysfsMemoryReader(tree.Root).Read();
        var boot = ReadinessEvaluator.Evaluate(snapshot, snapshot.Dimms[0], TestCapacity.Context(busy: new Dictionary<string, string> { [snapshot.Dimms[0].Id] = "busy" }));
        Assert.Equal(ReadinessState.BootMemory, boot.State);
    }

    [Fact]
    public void AnyAlignedRangeCanBeEvaluated()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBootMemory(8).AddDimm(0, 32, 2, "online", "Movable").AddDimm(1, 34, 2, "online", "Normal");
        var snapshot = new SysfsMemoryReader(tree.Root).Read();
        var bs = tree.BlockSize;

        Assert.Equal(ReadinessState.Ready, ReadinessEvaluator.EvaluateRange(snapshot, 32 * bs, 2 * bs, TestCapacity.Context()).State);
        Assert.Equal("memory34 is in zone Normal", ReadinessEvaluator.EvaluateRange(snapshot, 33 * bs, 2 * bs, TestCapacity.Context()).Reason);
        Assert.Equal(ReadinessState.NotReady, ReadinessEvaluator.EvaluateRange(snapshot, 32 * bs, 2 * bs, TestCapacity.Context(TestCapacity.Available(100L << 20))).State);
        Assert.Equal(ReadinessState.BootMemory, ReadinessEvaluator.EvaluateRange(snapshot, 0, bs, TestCapacity.Context()).State);
        Assert.Equal("no memory blocks", ReadinessEvaluator.EvaluateRange(snapshot, 100 * bs, bs, TestCapacity.Context()).Reason);
        Assert.Throws<ArgumentException>(() => ReadinessEvaluator.EvaluateRange(snapshot, 1, bs, TestCapacity.Context()));
        Assert.Throws<ArgumentException>(() => ReadinessEvaluator.EvaluateRange(snapshot, 0, 0, TestCapacity.Context()));
    }

    [Fact]
    public void AMovableDimmWhoseContentsDoNotFitIsNotReadyAndSaysWhatToFree()
    {
        // The outside test's case: 1 GiB boot memory, a 1 GiB DIMM, the guest filled so that ~750 MiB stays available
        // in all: unplugging 1 GiB would leave nothing.
        using var tree = new FakeSysfsTree();
        tree.AddBootMemory(8).AddDimm(0, 32, 8, "online", "Movable");
        var snapshot = new SysfsMemoryReader(tree.Root).Read();
        var zones = new List<Memory.Capacity.ZoneStatistics>
        {
            new() { Node = 0, Name = "DMA32", FreePages = 20_000, ManagedPages = 230_000, HighPages = 1_000 },
            new() { Node = 0, Name = "Movable", FreePages = (400L << 20) / 4096, ManagedPages = (1L << 30) / 4096 },
        };

        var r = ReadinessEvaluator.Evaluate(snapshot, snapshot.FindDimmBySlot(0)!, TestCapacity.Context(TestCapacity.Available(750L << 20, 1900L << 20, zones)));

        Assert.Equal(ReadinessState.NotReady, r.State);
        Assert.Equal(ReadinessBlocker.Capacity, r.Blocker);
        Assert.Equal(
            "holds ~624 MiB; the rest of the guest has ~350 MiB available after the kernel's watermarks, and 128 MiB must stay available (Memory:UnplugReserve): free about 402 MiB in the guest first",
            r.Reason);
        Assert.Equal(624L << 20, r.Capacity!.HoldsBytes);
    }

    [Fact]
    public void ADimmFitsWhenWhatStaysAvailableIsAtLeastTheReserve()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBootMemory(8).AddDimm(0, 32, 2, "online", "Movable").AddDimm(1, 34, 2, "online", "Movable");
        var snapshot = new SysfsMemoryReader(tree.Root).Read();
        var dimm = snapshot.FindDimmBySlot(0)!;

        var exactly = ReadinessEvaluator.Evaluate(snapshot, dimm, TestCapacity.Context(TestCapacity.Available((256L << 20) + TestCapacity.Reserve)));
        var oneShort = ReadinessEvaluator.Evaluate(snapshot, dimm, TestCapacity.Context(TestCapacity.Available((256L << 20) + TestCapacity.Reserve - 4096)));
        var unknown = ReadinessEvaluator.Evaluate(snapshot, dimm, TestCapacity.Context(Memory.Capacity.CapacitySample.Unknown("cannot read /proc/meminfo")));

        Assert.Equal(ReadinessState.Ready, exactly.State);
        Assert.Equal(ReadinessState.NotReady, oneShort.State);
        Assert.Equal(ReadinessState.NotReady, unknown.State);
        Assert.Equal(ReadinessBlocker.CapacityUnknown, unknown.Blocker);
        Assert.Contains("cannot read /proc/meminfo", unknown.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AnOfflineDimmHoldsNothingAndFitsWhateverIsAvailable()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBootMemory(8).AddDimm(0, 32, 2);
        var snapshot = new SysfsMemoryReader(tree.Root).Read();

        var r = ReadinessEvaluator.Evaluate(snapshot, snapshot.FindDimmBySlot(0)!, TestCapacity.Context(TestCapacity.Available(0)));

        Assert.Equal((ReadinessState.Ready, "all 2 blocks offline"), (r.State, r.Reason));
    }

    [Fact]
    public void AKernelZoneDimmSaysWhoPutItThere()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBootMemory(8).AddDimm(0, 32, 1, "online", "Normal").AddDimm(1, 33, 1, "online", "Normal");
        var snapshot = new SysfsMemoryReader(tree.Root).Read();
        var context = TestCapacity.Context() with { OnlinedBy = new Dictionary<string, string> { ["slot0"] = "auto-movable: Movable 0 MiB + 128 MiB would exceed 100 MiB" } };
        var bySelf = ReadinessEvaluator.Evaluate(snapshot, snapshot.FindDimmBySlot(0)!, context);
        var atBoot = ReadinessEvaluator.Evaluate(snapshot, snapshot.FindDimmBySlot(1)! with { PresentAtBoot = true }, context);

        Assert.Equal("memory32 is in zone Normal (the agent onlined it there: auto-movable: Movable 0 MiB + 128 MiB would exceed 100 MiB)", bySelf.Reason);
        Assert.StartsWith("memory33 is in zone Normal (present at boot: the kernel onlined it there", atBoot.Reason, StringComparison.Ordinal);
    }
}
