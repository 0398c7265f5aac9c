using GuestAgent.Memory.Model;
using GuestAgent.Memory.Policy;
using GuestAgent.Memory.Readiness;
using GuestAgent.Memory.Sysfs;

namespace GuestAgent.Memory.Tests.Contract;

/// <summary>
/// What the reader and the pure core promise about any sysfs tree, run against the fake tree and against a real
/// kernel (this machine's /sys here; the guest kernel in the end-to-end tests). Read-only.
/// </summary>
public abstract class SysfsMemoryContract
{
    /// <summary>The tree under test; null skips (no such tree here).</summary>
    protected abstract SysfsRoot? Root { get; }

    private MemorySnapshot Read(SysfsReadDetail detail = SysfsReadDetail.Essential)
    {
        if (Root is null)
        {
            Assert.Skip("no memory block information here");
        }

        return new SysfsMemoryReader(Root, detail).Read();
    }

    [Fact]
    public void TheBlockSizeIsAPowerOfTwoOfAtLeastOneMebibyte()
    {
        var size = Read().BlockSize;
        Assert.True(size >= 1 << 20, $"block size {size}");
        Assert.Equal(0, size & (size - 1));
    }

    [Fact]
    public void EveryBlockIsReadWithAKnownStateAndAscendingUniqueIds()
    {
        var snapshot = Read();
        Assert.NotEmpty(snapshot.Blocks);
        Assert.DoesNotContain(snapshot.Problems, p => !p.Message.Contains("vanished"));
        Assert.All(snapshot.Blocks, b => Assert.NotEqual(BlockState.Unknown, b.State));
        Assert.Equal(snapshot.Blocks.Select(b => b.Id).Order(), snapshot.Blocks.Select(b => b.Id));
        Assert.Equal(snapshot.Blocks.Count, snapshot.Blocks.Select(b => b.Index).Distinct().Count());
    }

    [Fact]
    public void OnlineBlocksNameOneZoneAndOfflineBlocksAtLeastOne()
    {
        foreach (var block in Read().Blocks.Where(b => b.ValidZones.Count > 0))
        {
            if (block.State == BlockState.Online)
            {
                Assert.Single(block.ValidZones);
            }
            else if (block.State == BlockState.Offline)
            {
                Assert.NotEmpty(block.ValidZones);
            }
        }
    }

    [Fact]
    public void EveryBlockIsInExactlyOneDimmAndDimmsDoNotOverlap()
    {
        var snapshot = Read();
        var owners = snapshot.Dimms.SelectMany(d => d.BlockIds).ToList();
        Assert.Equal(snapshot.Blocks.Select(b => b.Id).Order(), owners.Order());
        for (var i = 1; i < snapshot.Dimms.Count; i++)
        {
            Assert.True(snapshot.Dimms[i - 1].StartAddress < snapshot.Dimms[i].StartAddress);
        }

        var slots = snapshot.Dimms.Where(d => d.Slot is not null).Select(d => d.Slot).ToList();
        Assert.Equal(slots.Count, slots.Distinct().Count());
    }

    /// <summary>What the essential read's one-read path relies on (SysfsValueParser.OnlineZone), checked on every block read the long way (state, then valid_zones).</summary>
    [Fact]
    public void ValidZonesNamesOneZoneAloneOnlyForAnOnlineBlock()
    {
        foreach (var block in Read(SysfsReadDetail.Full).Blocks.Where(b => b.ValidZones.Count > 0))
        {
            if (SysfsValueParser.OnlineZone(string.Join(' ', block.ValidZones)) is not null)
            {
                Assert.True(block.State == BlockState.Online, $"{block.Name}: valid_zones '{string.Join(' ', block.ValidZones)}' but state {block.StateText}");
            }
        }
    }

    [Fact]
    public void EssentialAndFullReadsAgree()
    {
        var essential = Read();
        var full = Read(SysfsReadDetail.Full);
        Assert.Equal(
            full.Blocks.Select(b => (b.Id, b.PhysIndex, b.State, string.Join(' ', b.ValidZones), b.Node)),
            essential.Blocks.Select(b => (b.Id, b.PhysIndex, b.State, string.Join(' ', b.ValidZones), b.Node)));
        Assert.All(full.Blocks, b => Assert.Equal(b.State == BlockState.Online || b.State == BlockState.GoingOffline, b.OnlineFlag ?? b.State == BlockState.Online));
    }

    [Fact]
    public void ReadinessHoldsForEveryDimmAndBootMemoryIsNeverRemovable()
    {
        var snapshot = Read();
        foreach (var dimm in snapshot.Dimms)
        {
            var readiness = ReadinessEvaluator.Evaluate(snapshot, dimm, TestSupport.TestCapacity.Context());
            Assert.False(string.IsNullOrWhiteSpace(readiness.Reason));
            Assert.Equal(dimm.Kind == DimmKind.Boot, readiness.State == ReadinessState.BootMemory);
        }
    }

    [Fact]
    public void ThePlannerOnlyEverPlansOfflineBlocksOfRemovableMemory()
    {
        var snapshot = Read();
        var plans = OnlinePlanner.Plan(snapshot, OnlinePolicy.Default, _ => true);
        var boot = snapshot.Dimms.Where(d => d.Kind == DimmKind.Boot).SelectMany(d => d.BlockIds).ToHashSet();
        Assert.All(plans.SelectMany(p => p.BlockIds), id =>
        {
            Assert.Equal(BlockState.Offline, snapshot.FindBlock(id)!.State);
            Assert.DoesNotContain(id, boot);
        });
        Assert.Empty(OnlinePlanner.Plan(snapshot, new OnlinePolicy(OnlinePolicyKind.None), _ => true));
    }
}
