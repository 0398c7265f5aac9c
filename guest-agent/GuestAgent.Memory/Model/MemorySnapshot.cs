namespace GuestAgent.Memory.Model;

/// <summary>
/// The memory model at one moment, rebuilt from sysfs: settings, every block, and the DIMMs they belong to.
/// Immutable; a new scan gives a new snapshot.
/// </summary>
public sealed record MemorySnapshot
{
    public required HotplugSettings Settings { get; init; }

    /// <summary>Every block that could be read, ascending by id.</summary>
    public required IReadOnlyList<MemoryBlock> Blocks { get; init; }

    /// <summary>ACPI memory devices, present or not, ascending by slot.</summary>
    public IReadOnlyList<AcpiMemoryDevice> AcpiDevices { get; init; } = [];

    /// <summary>DIMMs (and boot memory ranges) ascending by start address; every block is in exactly one.</summary>
    public required IReadOnlyList<Dimm> Dimms { get; init; }

    public IReadOnlyList<ReadProblem> Problems { get; init; } = [];

    public long BlockSize => Settings.BlockSizeBytes ?? 0;

    public static MemorySnapshot Empty(HotplugSettings settings, IReadOnlyList<ReadProblem> problems) =>
        new() { Settings = settings, Blocks = [], Dimms = [], Problems = problems };

    /// <summary>Finds a block by id (binary search over the sorted list).</summary>
    public MemoryBlock? FindBlock(int id)
    {
        var position = PositionOf(id);
        return position < Blocks.Count && Blocks[position].Id == id ? Blocks[position] : null;
    }

    public Dimm? FindDimmBySlot(int slot) => Dimms.FirstOrDefault(d => d.Slot == slot);

    public Dimm? FindDimmById(string id) => Dimms.FirstOrDefault(d => string.Equals(d.Id, id, StringComparison.Ordinal));

    /// <summary>
    /// The DIMM's blocks that could be read, in its order. Its ids ascend, as the blocks do: one binary search for the
    /// first, then a walk (a 256-block DIMM of a 65,536-block guest costs 256 steps, not 256 searches).
    /// </summary>
    public IEnumerable<MemoryBlock> BlocksOf(Dimm dimm)
    {
        if (dimm.BlockIds.Count == 0)
        {
            yield break;
        }

        var position = PositionOf(dimm.BlockIds[0]);
        var previous = int.MinValue;
        foreach (var id in dimm.BlockIds)
        {
            if (id < previous)
            {
                position = PositionOf(id); // not ascending after all: search again
            }

            previous = id;
            while (position < Blocks.Count && Blocks[position].Id < id)
            {
                position++;
            }

            if (position < Blocks.Count && Blocks[position].Id == id)
            {
                yield return Blocks[position];
            }
        }
    }

    /// <summary>The position of the first block whose id is at least <paramref name="id"/>.</summary>
    private int PositionOf(int id)
    {
        int lo = 0, hi = Blocks.Count;
        while (lo < hi)
        {
            var mid = lo + ((hi - lo) / 2);
            if (Blocks[mid].Id < id)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
