using System.Globalization;
using GuestAgent.Memory.Model;

namespace GuestAgent.Memory.Policy;

/// <summary>
/// Pure: decides which offline blocks to online and into which zone. A whole DIMM goes to one zone (the zone of any of
/// its blocks that are already online, else the policy's choice); DIMMs are planned from the highest address down, and
/// the blocks of a DIMM from the highest address down.
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
