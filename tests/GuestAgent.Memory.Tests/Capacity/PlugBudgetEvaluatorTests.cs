using GuestAgent.Memory.Capacity;
using GuestAgent.Memory.Policy;
using GuestAgent.Memory.Sysfs;
using GuestAgent.TestSupport;

namespace GuestAgent.Memory.Tests.Capacity;

public class PlugBudgetEvaluatorTests
{
    private static Model.MemorySnapshot Snapshot(Action<FakeSysfsTree>? more = null, string autoOnline = "offline", string memmap = "N")
    {
        using var tree = new FakeSysfsTree(autoOnline: autoOnline);
        tree.WriteParameter("memmap_on_memory", memmap);
        tree.AddBootMemory(8);
        more?.Invoke(tree);
        return new SysfsMemoryReader(tree.Root).Read();
    }

    [Fact]
    public void MovableMayGrowToTheRatioOfKernelMemory()
    {
        // 1 GiB of kernel-zone boot memory, 512 MiB Movable already: 301% allows 3082 MiB, so 2570 MiB more, rounded down to blocks.
        var snapshot = Snapshot(t => t.AddDimm(0, 32, 4, "online", "Movable"));

        var budget = PlugBudgetEvaluator.Evaluate(snapshot, TestCapacity.Plenty(), OnlinePolicy.Default, 128L << 20);

        Assert.Equal(2560L << 20, budget.Bytes);
        Assert.Contains("Movable memory may grow to 301% of the 1 GiB of kernel-zone memory", budget.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TheMemmapMustFitIntoFreeKernelMemory()
    {
        var zones = new List<ZoneStatistics> { new() { Node = 0, Name = "DMA32", FreePages = (40L << 20) / 4096, HighPages = 0, ManagedPages = 250_000 } };
        var snapshot = Snapshot();

        var budget = PlugBudgetEvaluator.Evaluate(snapshot, TestCapacity.Available(1L << 30, zones: zones), OnlinePolicy.Default, 128L << 20);
        var onMemory = PlugBudgetEvaluator.Evaluate(Snapshot(memmap: "Y"), TestCapacity.Available(1L << 30, zones: zones), OnlinePolicy.Default, 128L << 20);

        // 40 MiB free - 16 MiB to spare = 24 MiB of memmap: 1.5 GiB of new memory.
        Assert.Equal((24L << 20) * 64, budget.Bytes);
        Assert.Contains("the memmap of new memory (1/64 of it) must fit there with 16 MiB to spare", budget.Reason, StringComparison.Ordinal);
        Assert.Contains("Movable memory may grow", onMemory.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AGuestShortOfMemoryStillHasABudgetForTheMemmap()
    {
        // 20 MiB free in the kernel zone (a guest at a few percent available): less than the 128 MiB reserve, but the
        // memmap of 256 MiB is 4 MiB; keeping the whole reserve free would leave the guest that needs memory none.
        var zones = new List<ZoneStatistics> { new() { Node = 0, Name = "DMA32", FreePages = (20L << 20) / 4096, HighPages = 0, ManagedPages = 250_000 } };

        var budget = PlugBudgetEvaluator.Evaluate(Snapshot(), TestCapacity.Available(30L << 20, zones: zones), OnlinePolicy.Default, 128L << 20);

        Assert.Equal((4L << 20) * 64, budget.Bytes);
    }

    [Fact]
    public void AKernelThatOnlinesIntoTheKernelZoneItselfLeavesNothing()
    {
        var budget = PlugBudgetEvaluator.Evaluate(Snapshot(autoOnline: "online"), TestCapacity.Plenty(), OnlinePolicy.Default, 128L << 20);

        Assert.Equal(0, budget.Bytes);
        Assert.Contains("auto_online_blocks = online", budget.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void PolicyKernelIsBoundOnlyByTheMemmapAndSaysItIsNotRemovable()
    {
        var budget = PlugBudgetEvaluator.Evaluate(Snapshot(), TestCapacity.Plenty(), new OnlinePolicy(OnlinePolicyKind.Kernel), 128L << 20);

        Assert.Null(budget.Bytes);
        Assert.StartsWith("policy kernel: new memory goes to the kernel zone (usable, but not removable again)", budget.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ANumaAwarePolicyGivesEachNodeItsOwnBudget()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBootMemory(4, node: 0);
        for (var i = 4; i < 8; i++)
        {
            tree.AddBlock(i, "online", "DMA32", 1);
        }

        tree.AddDimm(0, 32, 8, "online", "Movable", node: 1);
        var snapshot = new SysfsMemoryReader(tree.Root).Read();

        var budget = PlugBudgetEvaluator.Evaluate(snapshot, TestCapacity.Plenty(), new OnlinePolicy(OnlinePolicyKind.AutoMovable, 200), 128L << 20);

        Assert.Equal(1024L << 20, budget.BytesFor(0)); // 512 MiB kernel on node 0, 200%: 1 GiB
        Assert.Equal(0, budget.BytesFor(1)); // node 1: 512 MiB kernel, 1 GiB Movable already
        Assert.Equal(budget.BytesFor(0), budget.Bytes);
        Assert.Contains("beyond it auto-movable onlines into the kernel zone", budget.Nodes[1].Reason, StringComparison.Ordinal);
    }
}
