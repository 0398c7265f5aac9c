using GuestAgent.Memory.Model;
using GuestAgent.Memory.Policy;
using GuestAgent.Memory.Sysfs;
using GuestAgent.TestSupport;

namespace GuestAgent.Memory.Tests.Policy;

public class OnlinePlannerTests
{
    private static IReadOnlyList<DimmOnlinePlan> Plan(FakeSysfsTree tree, OnlinePolicy policy, Func<MemoryBlock, bool>? eligible = null) =>
        OnlinePlanner.Plan(new SysfsMemoryReader(tree.Root).Read(), policy, eligible ?? (_ => true));

    [Fact]
    public void MovableOnlinesEveryNewDimmHighestAddressFirst()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBootMemory(8).AddDimm(0, 32, 2).AddDimm(1, 34, 3);

        var plans = Plan(tree, OnlinePolicy.Default);

        Assert.Equal(["slot1", "slot0"], plans.Select(p => p.Dimm.Id));
        Assert.Equal([36, 35, 34], plans[0].BlockIds);
        Assert.Equal([33, 32], plans[1].BlockIds);
        Assert.All(plans, p => Assert.Equal(OnlineZoneChoice.Movable, p.Zone));
    }

    [Fact]
    public void KernelPolicyUsesPlainOnlineAndNoneDoesNothing()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBootMemory(8).AddDimm(0, 32, 2);

        Assert.Equal(OnlineZoneChoice.Kernel, Assert.Single(Plan(tree, new OnlinePolicy(OnlinePolicyKind.Kernel))).Zone);
        Assert.Empty(Plan(tree, new OnlinePolicy(OnlinePolicyKind.None)));
    }

    [Fact]
    public void BootMemoryAndIneligibleBlocksAreNeverPlanned()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBootMemory(8).AddDimm(0, 32, 2);
        tree.SetBlock(3, "offline", "DMA32");

        var plan = Assert.Single(Plan(tree, OnlinePolicy.Default, b => b.Id != 33));

        Assert.Equal([32], plan.BlockIds);
    }

    [Fact]
    public void ADimmPartlyOnlineKeepsItsZone()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBootMemory(8).AddDimm(0, 32, 2);
        tree.SetBlock(33, "online", "Normal");

        var plan = Assert.Single(Plan(tree, OnlinePolicy.Default));

        Assert.Equal(OnlineZoneChoice.Kernel, plan.Zone);
        Assert.Equal([32], plan.BlockIds);
        Assert.Contains("memory33", plan.Reason);
    }

    [Fact]
    public void AutoMovableKeepsMovableWithinTheRatioOfKernelMemory()
    {
        // 1 GiB kernel memory at 100 %: 512 MiB + 512 MiB fit, the third 512 MiB DIMM goes to the kernel zone.
        using var tree = new FakeSysfsTree();
        tree.AddBootMemory(8).AddDimm(0, 32, 4).AddDimm(1, 36, 4).AddDimm(2, 40, 4);

        var plans = Plan(tree, new OnlinePolicy(OnlinePolicyKind.AutoMovable, 100));

        Assert.Equal(["slot2", "slot1", "slot0"], plans.Select(p => p.Dimm.Id));
        Assert.Equal([OnlineZoneChoice.Movable, OnlineZoneChoice.Movable, OnlineZoneChoice.Kernel], plans.Select(p => p.Zone));
        Assert.Contains("would exceed", plans[2].Reason);
    }

    [Fact]
    public void AVirtioMemDeviceGetsAChoicePerBlockNotOneForTheWholeDevice()
    {
        // 1 GiB boot memory + memory32 in Normal at 50 %: four new blocks fit in Movable (512 of 576 MiB), the fifth goes
        // to the kernel zone, which lets the sixth into Movable again (640 of 640 MiB). memory32 in Normal does not pull
        // the new blocks there, as a DIMM's own block would.
        using var tree = new FakeSysfsTree();
        using var proc = new FakeProcTree();
        tree.AddBootMemory(8).AddBlock(32, "online", "Normal");
        for (var id = 33; id <= 38; id++)
        {
            tree.AddBlock(id, "offline", "Normal Movable");
        }

        proc.SetVirtioMem(tree.BlockSize, ("virtio4", 32 * tree.BlockSize, 16 * tree.BlockSize, 7));
        var snapshot = new SysfsMemoryReader(tree.Root, iomemPath: proc.Root.Iomem).Read();

        var plans = OnlinePlanner.Plan(snapshot, new OnlinePolicy(OnlinePolicyKind.AutoMovable, 50), _ => true);

        Assert.All(plans, p => Assert.Equal("virtio-mem@0x100000000", p.Dimm.Id));
        Assert.Equal([OnlineZoneChoice.Movable, OnlineZoneChoice.Kernel, OnlineZoneChoice.Movable], plans.Select(p => p.Zone));
        Assert.Equal([[38, 37, 36, 35], [34], [33]], plans.Select(p => p.BlockIds.ToArray()));
        Assert.StartsWith("auto-movable: Movable would be 128 MiB of at most 576 MiB", plans[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AutoMovableCountsDimmsAlreadyInTheKernelZone()
    {
        // The kernel's own policy counts only boot memory; ours also counts slot0, already in Normal.
        using var tree = new FakeSysfsTree();
        tree.AddBootMemory(8).AddDimm(0, 32, 8, "online", "Normal").AddDimm(1, 40, 16);

        var plan = Assert.Single(Plan(tree, new OnlinePolicy(OnlinePolicyKind.AutoMovable, 100)));

        Assert.Equal(OnlineZoneChoice.Movable, plan.Zone); // 2 GiB movable ≤ 100 % of 1 GiB boot + 1 GiB slot0
    }

    [Fact]
    public void AutoMovableIsPerNodeWhenNumaAware()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBootMemory(8, node: 0).AddDimm(0, 32, 4, node: 1);

        Assert.Equal(OnlineZoneChoice.Kernel, Assert.Single(Plan(tree, new OnlinePolicy(OnlinePolicyKind.AutoMovable, 301, NumaAware: true))).Zone);
        Assert.Equal(OnlineZoneChoice.Movable, Assert.Single(Plan(tree, new OnlinePolicy(OnlinePolicyKind.AutoMovable, 301, NumaAware: false))).Zone);
    }

    [Fact]
    public void TheWordForNewMemoryFollowsThePolicyAndTheRatio()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBootMemory(8).AddDimm(0, 32, 4, "online", "Movable");
        var snapshot = new SysfsMemoryReader(tree.Root).Read();

        Assert.Equal("online_movable", OnlinePlanner.WordForNewMemory(snapshot, OnlinePolicy.Default));
        Assert.Equal("online_kernel", OnlinePlanner.WordForNewMemory(snapshot, new OnlinePolicy(OnlinePolicyKind.Kernel)));
        Assert.Null(OnlinePlanner.WordForNewMemory(snapshot, new OnlinePolicy(OnlinePolicyKind.None)));
        Assert.Equal("online_movable", OnlinePlanner.WordForNewMemory(snapshot, new OnlinePolicy(OnlinePolicyKind.AutoMovable, 301)));
        Assert.Equal("online_kernel", OnlinePlanner.WordForNewMemory(snapshot, new OnlinePolicy(OnlinePolicyKind.AutoMovable, 50)));
    }

    [Theory]
    [InlineData("movable", OnlinePolicyKind.Movable)]
    [InlineData("Auto-Movable", OnlinePolicyKind.AutoMovable)]
    [InlineData("auto_movable", OnlinePolicyKind.AutoMovable)]
    [InlineData("kernel", OnlinePolicyKind.Kernel)]
    [InlineData(" none ", OnlinePolicyKind.None)]
    public void PolicyNamesParse(string text, OnlinePolicyKind expected)
    {
        Assert.True(OnlinePolicyNames.TryParse(text, out var kind));
        Assert.Equal(expected, kind);
        Assert.True(OnlinePolicyNames.TryParse(OnlinePolicyNames.Format(kind), out var again));
        Assert.Equal(kind, again);
    }

    [Fact]
    public void UnknownPolicyNamesDoNotParse() => Assert.False(OnlinePolicyNames.TryParse("movable-ish", out _));
}
