using System.Globalization;
using GuestAgent.Memory.Model;

namespace GuestAgent.Memory.Readiness;

/// <summary>Pure: decides from a snapshot whether a DIMM, or any block-aligned address range, can be unplugged now.</summary>
public static class ReadinessEvaluator
{
    /// <param name="busyReason">Non-null when an operation on this DIMM is in progress: the verdict is Busy with this reason.</param>
    public static DimmReadiness Evaluate(MemorySnapshot snapshot, Dimm dimm, string? busyReason = null)
    {
        if (dimm.Kind == DimmKind.Boot)
        {
            return new DimmReadiness(ReadinessState.BootMemory, "boot memory is not removable");
        }

        if (busyReason is not null)
        {
            return new DimmReadiness(ReadinessState.Busy, busyReason);
        }

        return EvaluateBlocks(snapshot.BlocksOf(dimm));
    }

    /// <summary>
    /// Readiness of the blocks in [start, start+size). Both must be multiples of the block size. Blocks of boot memory
    /// in the range make it boot memory.
    /// </summary>
    public static DimmReadiness EvaluateRange(MemorySnapshot snapshot, long start, long size)
    {
        var blockSize = snapshot.BlockSize;
        if (blockSize <= 0)
        {
            throw new ArgumentException("the block size is unknown", nameof(snapshot));
        }

        if (start < 0 || size <= 0 || start % blockSize != 0 || size % blockSize != 0)
        {
            throw new ArgumentException(
                $"range 0x{start:x}+0x{size:x} is not aligned to the block size 0x{blockSize:x}",
                nameof(start));
        }

        var first = start / blockSize;
        var last = ((start + size) / blockSize) - 1;
        var blocks = snapshot.Blocks.Where(b => b.Index >= first && b.Index <= last).ToList();
        var bootIds = snapshot.Dimms.Where(d => d.Kind == DimmKind.Boot).SelectMany(d => d.BlockIds).ToHashSet();
        if (blocks.Any(b => bootIds.Contains(b.Id)))
        {
            return new DimmReadiness(ReadinessState.BootMemory, "the range includes boot memory, which is not removable");
        }

        return EvaluateBlocks(blocks);
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
                    return NotReady($"{block.Name} spans several zones (valid_zones: none) and cannot be offlined");
                case BlockState.Online when block.Zone is { } zone:
                    return NotReady($"{block.Name} is in zone {zone}");
                case BlockState.Online:
                    return NotReady($"{block.Name} is online and its zone is unknown (valid_zones: {string.Join(' ', block.ValidZones)})");
                case BlockState.GoingOffline:
                    return NotReady($"{block.Name} is going offline");
                default:
                    return NotReady($"{block.Name} has an unreadable state ({block.StateText ?? "missing"})");
            }
        }

        if (movable + offline == 0)
        {
            return NotReady("no memory blocks");
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

    private static DimmReadiness NotReady(string reason) => new(ReadinessState.NotReady, reason);
}
