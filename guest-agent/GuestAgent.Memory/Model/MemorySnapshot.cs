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
        int lo = 0, hi = Blocks.Count - 1;
        while (lo <= hi)
        {
            var mid = lo + ((hi - lo) / 2);
            var candidate = Blocks[mid];
            if (candidate.Id == id)
            {
                return candidate;
            }

            if (candidate.Id < id)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return null;
    }

    public Dimm? FindDimmBySlot(int slot) => Dimms.FirstOrDefault(d => d.Slot == slot);

    public Dimm? FindDimmById(string id) => Dimms.FirstOrDefault(d => string.Equals(d.Id, id, StringComparison.Ordinal));

    public IEnumerable<MemoryBlock> BlocksOf(Dimm dimm)
    {
        foreach (var id in dimm.BlockIds)
        {
            if (FindBlock(id) is { } block)
            {
                yield return block;
            }
        }
    }
}
