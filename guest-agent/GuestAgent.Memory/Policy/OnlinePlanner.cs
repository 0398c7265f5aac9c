using System.Globalization;
using GuestAgent.Memory.Model;

namespace GuestAgent.Memory.Policy;

/// <summary>
/// Pure: decides which offline blocks to online and into which zone. A whole DIMM goes to one zone (the zone of any of
/// its blocks that are already online, else the policy's choice); DIMMs are planned from the highest address down, and
/// the blocks of a DIMM from the highest address down. A virtio-mem device is not one unit: its blocks come and go a
/// few at a time, so each new block gets the policy's choice of its own (under <c>auto-movable</c> a device can end
/// up split between the zones, as under the kernel's own auto-movable policy).
/// </summary>
public static class OnlinePlanner
{
    /// <param name="snapshot">The current model.</param>
    /// <param name="policy">The policy.</param>
    /// <param name="isEligible">Whether an offline block may be onlined now (not held for an unplug, not deliberately offlined).</param>
    public static IReadOnlyList<DimmOnlinePlan> Plan(MemorySnapshot snapshot, OnlinePolicy policy, Func<MemoryBlock, bool> isEligible)
    {
        if (policy.Kind == OnlinePolicyKind.None || snapshot.BlockSize <= 0)
        {
            return [];
        }

        var blockSize = snapshot.BlockSize;
        var budget = ZoneBudget.FromSnapshot(snapshot, policy.NumaAware);
        var plans = new List<DimmOnlinePlan>();
        for (var i = snapshot.Dimms.Count - 1; i >= 0; i--)
        {
            var dimm = snapshot.Dimms[i];
            if (dimm.Kind == DimmKind.Boot)
            {
                continue;
            }

            var blocks = snapshot.BlocksOf(dimm).ToList();
            var pending = blocks.Where(b => b.State == BlockState.Offline && isEligible(b))
                .OrderByDescending(b => b.Index)
                .Select(b => b.Id)
                .ToList();
            if (pending.Count == 0)
            {
                continue;
            }

            if (dimm.Kind == DimmKind.VirtioMem)
            {
                PlanEachBlock(plans, dimm, pending, policy, budget, blockSize);
                continue;
            }

            var bytes = pending.Count * blockSize;
            var (zone, reason) = ChooseZone(dimm, blocks, policy, budget, bytes);
            budget.Add(dimm.Node, zone, bytes);
            plans.Add(new DimmOnlinePlan(dimm, zone, pending, reason));
        }

        return plans;
    }

    /// <summary>
    /// The state word the policy would write for one new block on node 0 now (what udev uses before the daemon sees a
    /// whole DIMM); null for policy <c>none</c>.
    /// </summary>
    public static string? WordForNewMemory(MemorySnapshot snapshot, OnlinePolicy policy)
    {
        switch (policy.Kind)
        {
            case OnlinePolicyKind.None:
                return null;
            case OnlinePolicyKind.Kernel:
                return "online_kernel";
            case OnlinePolicyKind.AutoMovable when snapshot.BlockSize > 0:
                var (kernel, movable) = ZoneBudget.FromSnapshot(snapshot, policy.NumaAware).Get(0);
                return movable + snapshot.BlockSize <= kernel * policy.AutoMovableRatioPercent / 100 ? "online_movable" : "online_kernel";
            default:
                return "online_movable";
        }
    }

    /// <summary>Virtio-mem: one choice per block, consecutive blocks with the same choice in one plan.</summary>
    private static void PlanEachBlock(List<DimmOnlinePlan> plans, Dimm device, List<int> pending, OnlinePolicy policy, ZoneBudget budget, long blockSize)
    {
        var run = new List<int>();
        (OnlineZoneChoice Zone, string Reason)? current = null;
        foreach (var id in pending)
        {
            var choice = ChooseZone(device, [], policy, budget, blockSize);
            budget.Add(device.Node, choice.Zone, blockSize);
            if (current is { } c && c.Zone != choice.Zone)
            {
                plans.Add(new DimmOnlinePlan(device, c.Zone, run, c.Reason));
                run = [];
            }

            current = run.Count == 0 ? choice : current;
            run.Add(id);
        }

        if (current is { } last)
        {
            plans.Add(new DimmOnlinePlan(device, last.Zone, run, last.Reason));
        }
    }

    private static (OnlineZoneChoice Zone, string Reason) ChooseZone(
        Dimm dimm, List<MemoryBlock> blocks, OnlinePolicy policy, ZoneBudget budget, long bytes)
    {
        if (blocks.FirstOrDefault(b => b.State == BlockState.Online && b.Zone is not null) is { } online)
        {
            return online.Zone == ZoneNames.Movable
                ? (OnlineZoneChoice.Movable, $"{online.Name} of this DIMM is already in Movable; a DIMM goes wholly to one zone")
                : (OnlineZoneChoice.Kernel, $"{online.Name} of this DIMM is already in {online.Zone}; a DIMM goes wholly to one zone");
        }

        switch (policy.Kind)
        {
            case OnlinePolicyKind.Movable:
                return (OnlineZoneChoice.Movable, "policy movable");
            case OnlinePolicyKind.Kernel:
                return (OnlineZoneChoice.Kernel, "policy kernel");
            case OnlinePolicyKind.AutoMovable:
                var (kernel, movable) = budget.Get(dimm.Node);
                var allowed = kernel * policy.AutoMovableRatioPercent / 100;
                var scope = policy.NumaAware ? $"node {FormatNode(dimm.Node)}" : "the guest";
                return movable + bytes <= allowed
                    ? (OnlineZoneChoice.Movable,
                        $"auto-movable: Movable would be {Mib(movable + bytes)} of at most {Mib(allowed)} ({policy.AutoMovableRatioPercent}% of {Mib(kernel)} kernel memory on {scope})")
                    : (OnlineZoneChoice.Kernel,
                        $"auto-movable: Movable {Mib(movable)} + {Mib(bytes)} would exceed {Mib(allowed)} ({policy.AutoMovableRatioPercent}% of {Mib(kernel)} kernel memory on {scope}); onlined into the kernel zone");
            default:
                throw new ArgumentOutOfRangeException(nameof(policy), policy.Kind, "no onlining for this policy");
        }
    }

    private static string FormatNode(int? node) => node?.ToString(CultureInfo.InvariantCulture) ?? "?";

    private static string Mib(long bytes) => (bytes / (1024 * 1024)).ToString(CultureInfo.InvariantCulture) + " MiB";
}
