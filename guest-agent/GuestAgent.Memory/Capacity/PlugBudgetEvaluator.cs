using GuestAgent.Memory.Model;
using GuestAgent.Memory.Policy;
using GuestAgent.Protocol.Sizes;

namespace GuestAgent.Memory.Capacity;

/// <summary>
/// Pure: the plug budget. Three things bound how much more memory a guest can take and still give back:
/// <list type="bullet">
/// <item>where it goes: a kernel that onlines new memory into the kernel zone itself (<c>auto_online_blocks</c>
/// <c>online</c>/<c>online_kernel</c> without the kernel's auto-movable policy) makes it unremovable: budget 0;</item>
/// <item>the Movable:kernel ratio (<c>Memory:AutoMovableRatio</c>, the kernel's 301 % by default) for policies
/// <c>movable</c> and <c>auto-movable</c>: Movable memory needs kernel memory for its page tables, slab and the like,
/// and past the ratio auto-movable onlines into the kernel zone;</item>
/// <item>the memmap: each 4 KiB page of new memory needs 64 bytes of <c>struct page</c> (1/64 of it) from free
/// kernel-zone memory above the watermarks, with <see cref="MemmapSpare"/> (at most the reserve) left over, unless
/// <c>memmap_on_memory</c> puts it on the new memory. Not the whole unplug reserve: a guest short of memory has
/// little free, and is the guest that most needs memory added (found by the autoscale benchmark: 30 MiB free, the
/// 128 MiB reserve kept, left a guest at 3 % available no budget at all, so nothing was added and it ran out).</item>
/// </list>
/// </summary>
public static class PlugBudgetEvaluator
{
    /// <summary>The memmap costs this fraction of the memory it describes (64-byte <c>struct page</c> per 4 KiB page).</summary>
    public const int MemmapDivisor = 64;

    /// <summary>Free kernel-zone memory the memmap of new memory leaves over (or the reserve, when that is smaller).</summary>
    public const long MemmapSpare = 16L << 20;

    public static PlugBudget Evaluate(MemorySnapshot snapshot, CapacitySample sample, OnlinePolicy policy, long reserveBytes)
    {
        var blockSize = snapshot.BlockSize;
        if (blockSize <= 0)
        {
            return new PlugBudget(0, "the guest's memory block size is unknown", []);
        }

        if (KernelOnlinesIntoKernelZone(snapshot.Settings) is { } why && policy.Kind is OnlinePolicyKind.Movable or OnlinePolicyKind.AutoMovable)
        {
            return new PlugBudget(0, why + ": new memory would not be removable (set auto_online_blocks to offline or online_movable)", []);
        }

        var memmap = MemmapLimit(snapshot.Settings, sample, reserveBytes);
        var budget = ZoneBudget.FromSnapshot(snapshot, policy.NumaAware);
        var nodes = snapshot.Blocks.Where(b => b.Node is not null).Select(b => b.Node!.Value).Distinct().Order().ToList();
        var perNode = policy.NumaAware && nodes.Count > 1 && policy.Kind is OnlinePolicyKind.Movable or OnlinePolicyKind.AutoMovable;
        var byNode = perNode ? nodes.ConvertAll(n => ForNode(n, $"node {n}")) : [];
        var whole = perNode ? byNode.FirstOrDefault(b => b.Node == 0) ?? byNode[0] : ForNode(0, "the guest");
        return new PlugBudget(whole.Bytes, whole.Reason, byNode);

        NodePlugBudget ForNode(int node, string scope)
        {
            var limits = new List<(long Bytes, string Reason)>();
            if (memmap is { } m)
            {
                limits.Add(m);
            }

            if (policy.Kind is OnlinePolicyKind.Movable or OnlinePolicyKind.AutoMovable)
            {
                var (kernel, movable) = budget.Get(node);
                var allowed = kernel * policy.AutoMovableRatioPercent / 100;
                limits.Add((allowed - movable,
                    $"Movable memory may grow to {policy.AutoMovableRatioPercent}% of the {ByteSize.Approximate(kernel)} of kernel-zone memory on {scope} "
                    + $"({ByteSize.Approximate(allowed)}; {ByteSize.Approximate(movable)} is Movable now; Memory:AutoMovableRatio)"
                    + (policy.Kind == OnlinePolicyKind.AutoMovable ? "; beyond it auto-movable onlines into the kernel zone" : "")));
            }

            var (bytes, reason) = limits.Count == 0 ? (long.MaxValue, "no limit the agent can see") : limits.MinBy(l => l.Bytes);
            reason = policy.Kind switch
            {
                OnlinePolicyKind.Kernel => "policy kernel: new memory goes to the kernel zone (usable, but not removable again); " + reason,
                OnlinePolicyKind.None => "policy none: the agent onlines nothing; " + reason,
                _ => reason,
            };
            return new NodePlugBudget(node, bytes == long.MaxValue ? null : Math.Max(0, bytes) / blockSize * blockSize, reason);
        }
    }

    /// <summary>Why the kernel itself puts new memory into the kernel zone, or null when it does not.</summary>
    internal static string? KernelOnlinesIntoKernelZone(HotplugSettings settings)
    {
        var policy = settings.Parameters.GetValueOrDefault("online_policy");
        return settings.AutoOnlineBlocks switch
        {
            "online_kernel" => "the kernel onlines hot-added memory into the kernel zone itself (auto_online_blocks = online_kernel)",
            "online" when policy != "auto-movable" => "the kernel onlines hot-added memory itself, into the kernel zone (auto_online_blocks = online, online_policy = " + (policy ?? "contig-zones") + ")",
            _ => null,
        };
    }

    private static (long Bytes, string Reason)? MemmapLimit(HotplugSettings settings, CapacitySample sample, long reserveBytes)
    {
        if (settings.Parameters.GetValueOrDefault("memmap_on_memory") is "Y" or "y" or "1" or "force")
        {
            return null;
        }

        if (sample.Zones.Count == 0)
        {
            return null;
        }

        var free = sample.KernelFreeBytes();
        var spare = Math.Min(reserveBytes, MemmapSpare);
        var usable = Math.Max(0, free - spare);
        return (usable > long.MaxValue / MemmapDivisor ? long.MaxValue : usable * MemmapDivisor,
            $"the kernel zone has ~{ByteSize.Approximate(free)} free above its watermarks; the memmap of new memory (1/{MemmapDivisor} of it) must fit there with {ByteSize.Approximate(spare)} to spare");
    }
}
