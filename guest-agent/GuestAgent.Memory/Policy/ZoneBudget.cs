using GuestAgent.Memory.Model;

namespace GuestAgent.Memory.Policy;

/// <summary>
/// Online kernel-zone and movable bytes per NUMA node (or for the whole guest), counting every online block: boot
/// memory and DIMMs already in a kernel zone raise the allowance, unlike the kernel's own auto-movable policy.
/// </summary>
internal sealed class ZoneBudget
{
    private readonly Dictionary<int, (long Kernel, long Movable)> _byNode = [];
    private readonly bool _perNode;

    private ZoneBudget(bool perNode) => _perNode = perNode;

    public static ZoneBudget FromSnapshot(MemorySnapshot snapshot, bool perNode)
    {
        var budget = new ZoneBudget(perNode);
        foreach (var block in snapshot.Blocks)
        {
            if (block.State != BlockState.Online)
            {
                continue;
            }

            // An online block of unknown zone (no valid_zones) is counted as kernel memory: the safe side for the ratio.
            var zone = block.Zone == ZoneNames.Movable ? OnlineZoneChoice.Movable : OnlineZoneChoice.Kernel;
            budget.Add(block.Node, zone, snapshot.BlockSize);
        }

        return budget;
    }

    public (long Kernel, long Movable) Get(int? node) => _byNode.TryGetValue(Key(node), out var value) ? value : (0, 0);

    public void Add(int? node, OnlineZoneChoice zone, long bytes)
    {
        var key = Key(node);
        var (kernel, movable) = Get(node);
        _byNode[key] = zone == OnlineZoneChoice.Movable ? (kernel, movable + bytes) : (kernel + bytes, movable);
    }

    /// <summary>Unknown nodes count as node 0; without NUMA awareness everything is one pool.</summary>
    private int Key(int? node) => _perNode ? node ?? 0 : 0;
}
