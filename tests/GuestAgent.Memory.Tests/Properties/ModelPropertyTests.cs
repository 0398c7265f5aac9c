using FsCheck;
using FsCheck.Fluent;
using GuestAgent.Memory.Mapping;
using GuestAgent.Memory.Model;
using GuestAgent.Memory.Policy;
using GuestAgent.Memory.Readiness;

namespace GuestAgent.Memory.Tests.Properties;

/// <summary>Invariants of the pure core over generated guests (FsCheck; FsCheck.Xunit is not served here, so each property is checked in a plain test).</summary>
public class ModelPropertyTests
{
    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(500);

    private static MemorySnapshot Snapshot(GeneratedLayout layout) => new()
    {
        Settings = new HotplugSettings { BlockSizeBytes = GeneratedLayout.BlockSize },
        Blocks = layout.Blocks,
        AcpiDevices = layout.Devices,
        Dimms = DimmMapper.Map(layout.Blocks, layout.Devices, GeneratedLayout.BlockSize, null),
    };

    [Fact]
    public void EveryBlockIsInExactlyOneDimmAndDimmsAreOrdered() =>
        Check.One(Runs, Prop.ForAll(LayoutGenerator.Arbitrary(), layout =>
        {
            var snapshot = Snapshot(layout);
            var owned = snapshot.Dimms.SelectMany(d => d.BlockIds).Order().ToList();
            var starts = snapshot.Dimms.Select(d => d.StartAddress).ToList();
            return owned.SequenceEqual(layout.Blocks.Select(b => b.Id).Order())
                   && starts.SequenceEqual(starts.Order())
                   && snapshot.Dimms.All(d => d.BlockIds.Count > 0 && d.SizeBytes == d.BlockIds.Count * GeneratedLayout.BlockSize);
        }));

    [Fact]
    public void ADimmIsReadyExactlyWhenEveryBlockIsMovableOrOffline() =>
        Check.One(Runs, Prop.ForAll(LayoutGenerator.Arbitrary(), layout =>
        {
            var snapshot = Snapshot(layout);
            return snapshot.Dimms.All(dimm =>
            {
                var readiness = ReadinessEvaluator.Evaluate(snapshot, dimm, TestSupport.TestCapacity.Context());
                if (dimm.Kind == DimmKind.Boot)
                {
                    return readiness.State == ReadinessState.BootMemory;
                }

                var removable = snapshot.BlocksOf(dimm).All(b => b.State == BlockState.Offline || b.IsOnlineMovable);
                return (readiness.State == ReadinessState.Ready) == removable
                       && (removable || snapshot.BlocksOf(dimm).Any(b => readiness.Reason.Contains(b.Name + " ", StringComparison.Ordinal)));
            });
        }));

    [Fact]
    public void ThePlannerOnlinesOnlyEligibleOfflineBlocksOnceEachHighestFirstOneZonePerDimm() =>
        Check.One(Runs, Prop.ForAll(LayoutGenerator.Arbitrary(), Gen.Elements(OnlinePolicyKind.Movable, OnlinePolicyKind.AutoMovable, OnlinePolicyKind.Kernel).ToArbitrary(), (layout, kind) =>
        {
            var snapshot = Snapshot(layout);
            var plans = OnlinePlanner.Plan(snapshot, new OnlinePolicy(kind, 150), b => b.Id % 5 != 0);
            var planned = plans.SelectMany(p => p.BlockIds).ToList();
            var boot = snapshot.Dimms.Where(d => d.Kind == DimmKind.Boot).SelectMany(d => d.BlockIds).ToHashSet();
            return planned.Count == planned.Distinct().Count()
                   && planned.All(id => snapshot.FindBlock(id)!.State == BlockState.Offline && id % 5 != 0 && !boot.Contains(id))
                   && plans.All(p => p.BlockIds.SequenceEqual(p.BlockIds.OrderByDescending(id => snapshot.FindBlock(id)!.Index)))
                   && plans.All(p => p.Dimm.BlockIds.Contains(p.BlockIds[0]));
        }));

    [Fact]
    public void AutoMovableNeverPlansMovablePastTheRatioOfKernelMemory() =>
        Check.One(Runs, Prop.ForAll(LayoutGenerator.Arbitrary(), Gen.Choose(50, 400).ToArbitrary(), (layout, ratio) =>
        {
            var snapshot = Snapshot(layout);
            var plans = OnlinePlanner.Plan(snapshot, new OnlinePolicy(OnlinePolicyKind.AutoMovable, ratio, NumaAware: false), _ => true);
            var online = snapshot.Blocks.Where(b => b.State == BlockState.Online).ToList();
            var movableBefore = online.Count(b => b.Zone == ZoneNames.Movable);
            var chosenByPolicy = plans.Where(p => p.Reason.StartsWith("auto-movable", StringComparison.Ordinal)).ToList();
            if (!chosenByPolicy.Any(p => p.Zone == OnlineZoneChoice.Movable))
            {
                return true;
            }

            // Every block the plan puts in a kernel zone raises the allowance; movable ones use it.
            var kernelAfter = online.Count - movableBefore + plans.Where(p => p.Zone == OnlineZoneChoice.Kernel).Sum(p => p.BlockIds.Count);
            var movableAfter = movableBefore + plans.Where(p => p.Zone == OnlineZoneChoice.Movable).Sum(p => p.BlockIds.Count);
            var movableFromPolicy = chosenByPolicy.Where(p => p.Zone == OnlineZoneChoice.Movable).Sum(p => p.BlockIds.Count);
            return movableFromPolicy == 0 || (long)movableAfter * 100 <= (long)kernelAfter * ratio
                   || plans.Any(p => !p.Reason.StartsWith("auto-movable", StringComparison.Ordinal) && p.Zone == OnlineZoneChoice.Movable);
        }));
}
