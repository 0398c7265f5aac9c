using GuestAgent.Memory.Capacity;
using GuestAgent.Memory.Sysfs;
using GuestAgent.Memory.Udev;
using GuestAgent.TestSupport;

namespace GuestAgent.Memory.Tests.Capacity;

public class UnplugHazardEvaluatorTests
{
    private static Model.MemorySnapshot Snapshot(string autoOnline = "online_movable", string memmap = "N")
    {
        using var tree = new FakeSysfsTree(autoOnline: autoOnline);
        tree.WriteParameter("memmap_on_memory", memmap);
        tree.AddBootMemory(8);
        return new SysfsMemoryReader(tree.Root).Read();
    }

    [Fact]
    public void AQuietGuestHasNoHazards() =>
        Assert.Empty(UnplugHazardEvaluator.Evaluate(Snapshot(), TestCapacity.Plenty(), [new UdevRule(UdevRuleDirectories.OwnRuleName, "/usr/lib/udev/rules.d/" + UdevRuleDirectories.OwnRuleName, true)], "online_movable"));

    [Fact]
    public void HugePagesABalloonAndMemmapOnMemoryAreNamed()
    {
        var capacity = TestCapacity.Plenty() with
        {
            Meminfo = new Meminfo { AvailableBytes = 1L << 30, HugePagesTotal = 10, HugePagesFree = 2, HugePageSizeBytes = 2L << 20 },
            Zones = [new ZoneStatistics { Node = 0, Name = "DMA32", NodeStatistics = new Dictionary<string, long> { ["nr_balloon_pages"] = 25_600 } }],
        };

        var hazards = UnplugHazardEvaluator.Evaluate(Snapshot(memmap: "Y"), capacity, [], null);

        Assert.Equal(["hugetlb", "balloon", "memmap_on_memory"], hazards.Select(h => h.Subject));
        Assert.StartsWith("8 huge pages (2 MiB) are in use", hazards[0].Message, StringComparison.Ordinal);
        Assert.StartsWith("a memory balloon holds ~100 MiB", hazards[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AutoOnlineChangedBehindTheAgentsBackIsDrift()
    {
        var hazards = UnplugHazardEvaluator.Evaluate(Snapshot(autoOnline: "online"), TestCapacity.Plenty(), [], "online_movable");

        var drift = Assert.Single(hazards);
        Assert.Equal("auto_online_blocks", drift.Subject);
        Assert.Contains("new memory now goes into the kernel zone", drift.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UdevRulesBeforeTheDropInOrWithoutItAreNamed()
    {
        var own = new UdevRule(UdevRuleDirectories.OwnRuleName, "/usr/lib/udev/rules.d/" + UdevRuleDirectories.OwnRuleName, true);
        var early = new UdevRule("30-memory.rules", "/etc/udev/rules.d/30-memory.rules", false);
        var redhat = new UdevRule("40-redhat.rules", "/usr/lib/udev/rules.d/40-redhat.rules", false);

        var withOwn = UnplugHazardEvaluator.Evaluate(Snapshot(), TestCapacity.Plenty(), [early, own, redhat], null);
        var withoutOwn = UnplugHazardEvaluator.Evaluate(Snapshot(), TestCapacity.Plenty(), [redhat], null);

        Assert.Contains("/etc/udev/rules.d/30-memory.rules onlines hot-added memory before this project's drop-in", Assert.Single(withOwn).Message, StringComparison.Ordinal);
        Assert.Contains("is not installed", Assert.Single(withoutOwn).Message, StringComparison.Ordinal);
    }
}
