using System.Globalization;
using GuestAgent.Memory.Capacity;
using GuestAgent.Memory.Model;

namespace GuestAgent.Memory.Readiness;

/// <summary>
/// Pure: decides from a snapshot and the guest's memory accounting whether a DIMM, or any block-aligned address range,
/// can be unplugged now: every block online in Movable or offline (else the kernel refuses), and what it holds fits
/// into the rest of the guest with the reserve kept available (else the unplug pushes the guest towards the OOM killer).
/// </summary>
public static class ReadinessEvaluator
{
    public static DimmReadiness Evaluate(MemorySnapshot snapshot, Dimm dimm, ReadinessContext context)
    {
        if (dimm.Kind == DimmKind.Boot)
        {
            return new DimmReadiness(ReadinessState.BootMemory, "boot memory is not removable");
        }

        if (context.Busy.TryGetValue(dimm.Id, out var busyReason))
        {
            return new DimmReadiness(ReadinessState.Busy, busyReason);
        }

        if (dimm.Kind == DimmKind.VirtioMem)
        {
            return VirtioMemReadiness.Evaluate(snapshot, dimm, context);
        }

        var zones = EvaluateBlocks(snapshot.BlocksOf(dimm));
        if (zones.Blocker == ReadinessBlocker.KernelZone)
        {
            return zones with { Reason = zones.Reason + " " + WhyInKernelZone(dimm, context) };
        }

        return zones.IsReady ? WithCapacity(zones, UnplugCapacity.Evaluate(snapshot, context.Capacity, [dimm], context.ReserveBytes)) : zones;
    }

    /// <summary>
    /// Readiness of the blocks in [start, start+size). Both must be multiples of the block size. Blocks of boot memory
    /// in the range make it boot memory.
    /// </summary>
    public static DimmReadiness EvaluateRange(MemorySnapshot snapshot, long start, long size, ReadinessContext context)
    {
        if (RangeProblem(snapshot, start, size) is { } problem)
        {
            throw new ArgumentException(problem, nameof(start));
        }

        var blocks = BlocksInRange(snapshot, start, size);
        var bootIds = snapshot.Dimms.Where(d => d.Kind == DimmKind.Boot).SelectMany(d => d.BlockIds).ToHashSet();
        if (blocks.Any(b => bootIds.Contains(b.Id)))
        {
            return new DimmReadiness(ReadinessState.BootMemory, "the range includes boot memory, which is not removable");
        }

        var zones = EvaluateBlocks(blocks);
        if (!zones.IsReady)
        {
            return zones;
        }

        var range = new Dimm { Id = "range", Kind = DimmKind.Range, StartAddress = start, SizeBytes = size, BlockIds = blocks.ConvertAll(b => b.Id) };
        return WithCapacity(zones, UnplugCapacity.Evaluate(snapshot, context.Capacity, [range], context.ReserveBytes));
    }

    /// <summary>Why [start, start+size) cannot name blocks (not aligned to the block size, or the size unknown), for people; null when it can.</summary>
    public static string? RangeProblem(MemorySnapshot snapshot, long start, long size)
    {
        var blockSize = snapshot.BlockSize;
        if (blockSize <= 0)
        {
            return "the block size is unknown";
        }

        return start < 0 || size <= 0 || start % blockSize != 0 || size % blockSize != 0 || start > long.MaxValue - size
            ? $"range 0x{start:x}+0x{size:x} is not aligned to the block size 0x{blockSize:x}"
            : null;
    }

    /// <summary>The blocks of [start, start+size); check it with <see cref="RangeProblem"/> first (a range it rejects has none).</summary>
    public static List<MemoryBlock> BlocksInRange(MemorySnapshot snapshot, long start, long size)
    {
        if (RangeProblem(snapshot, start, size) is not null)
        {
            return [];
        }

        var first = start / snapshot.BlockSize;
        var last = ((start + size) / snapshot.BlockSize) - 1;
        return snapshot.Blocks.Where(b => b.Index >= first && b.Index <= last).ToList();
    }

    private static DimmReadiness WithCapacity(DimmReadiness zones, CapacityVerdict capacity) => capacity switch
    {
        { Known: false } => new DimmReadiness(ReadinessState.NotReady, capacity.Reason) { Blocker = ReadinessBlocker.CapacityUnknown, Capacity = capacity },
        { Fits: false } => new DimmReadiness(ReadinessState.NotReady, capacity.Reason) { Blocker = ReadinessBlocker.Capacity, Capacity = capacity },
        { OnlineBytes: 0 } => zones with { Capacity = capacity },
        _ => zones with { Reason = $"{zones.Reason}; {capacity.Reason}", Capacity = capacity },
    };

    /// <summary>Who put a DIMM into a kernel zone, as far as the agent knows.</summary>
    private static string WhyInKernelZone(Dimm dimm, ReadinessContext context)
    {
        if (context.OnlinedBy.TryGetValue(dimm.Id, out var reason))
        {
            return $"(the agent onlined it there: {reason})";
        }

        if (context.FoundBy.TryGetValue(dimm.Id, out var found))
        {
            return $"({found})";
        }

        return dimm.PresentAtBoot == true
            ? "(present at boot: the kernel onlined it there; a kernel-zone DIMM is removable again only after a reboot without it, or with movable_node)"
            : "(onlined there outside the agent: by the kernel's auto_online_blocks, a udev rule or an administrator)";
    }

    private static DimmReadiness EvaluateBlocks(IEnumerable<MemoryBlock> blocks)
    {
        int movable = 0, offline = 0;
        foreach (var block in blocks)
        {
            switch (block.State)
            {
                case BlockState.Offline:
                    offline++;
                    continue;
                case BlockState.Online when block.Zone == ZoneNames.Movable:
                    movable++;
                    continue;
                case BlockState.Online when block.Zone == ZoneNames.None:
                    return NotReady($"{block.Name} spans several zones (valid_zones: none) and cannot be offlined", ReadinessBlocker.SpansZones);
                case BlockState.Online when block.Zone is { } zone:
                    return NotReady($"{block.Name} is in zone {zone}", ReadinessBlocker.KernelZone);
                case BlockState.Online:
                    return NotReady($"{block.Name} is online and its zone is unknown (valid_zones: {string.Join(' ', block.ValidZones)})", ReadinessBlocker.Unreadable);
                case BlockState.GoingOffline:
                    return NotReady($"{block.Name} is going offline", ReadinessBlocker.GoingOffline);
                default:
                    return NotReady($"{block.Name} has an unreadable state ({block.StateText ?? "missing"})", ReadinessBlocker.Unreadable);
            }
        }

        if (movable + offline == 0)
        {
            return NotReady("no memory blocks", ReadinessBlocker.NoBlocks);
        }

        var reason = (movable, offline) switch
        {
            (_, 0) => $"all {Count(movable)} online in Movable",
            (0, _) => $"all {Count(offline)} offline",
            _ => $"{Count(movable)} online in Movable, {Count(offline)} offline",
        };
        return new DimmReadiness(ReadinessState.Ready, reason);
    }

    private static string Count(int n) => n.ToString(CultureInfo.InvariantCulture) + (n == 1 ? " block" : " blocks");

    private static DimmReadiness NotReady(string reason, ReadinessBlocker blocker) => new(ReadinessState.NotReady, reason) { Blocker = blocker };
}
