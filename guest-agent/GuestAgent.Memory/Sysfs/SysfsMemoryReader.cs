using System.Collections.Concurrent;
using GuestAgent.Memory.Mapping;
using GuestAgent.Memory.Model;

namespace GuestAgent.Memory.Sysfs;

/// <summary>
/// Builds a <see cref="MemorySnapshot"/> from sysfs under a <see cref="SysfsRoot"/>. Never throws for what the kernel
/// does: gaps in block numbers, missing attributes, and blocks that vanish between listing and reading are recorded
/// as <see cref="ReadProblem"/>s and left out, never guessed. Given the path of <c>/proc/iomem</c>, it also tells
/// virtio-mem devices' blocks from boot memory (sysfs alone cannot).
/// </summary>
public sealed class SysfsMemoryReader(SysfsRoot root, SysfsReadDetail detail = SysfsReadDetail.Essential, string? iomemPath = null)
{
    /// <summary>Below this many blocks a parallel read costs more than it saves.</summary>
    private const int ParallelThreshold = 512;

    public SysfsRoot Root { get; } = root;

    public SysfsReadDetail Detail { get; } = detail;

    /// <summary>
    /// Whether an online block is read with its <c>valid_zones</c> alone (<see cref="SysfsValueParser.OnlineZone"/>):
    /// so the kernel prints it since 4.13; before, an offline block could name one zone too.
    /// </summary>
    public bool OneReadForOnlineBlocks { get; init; } = SysfsValueParser.ValidZonesTellOnlineApart(Environment.OSVersion.Version);

    public MemorySnapshot Read(IReadOnlySet<int>? bootSlots = null)
    {
        var problems = new ConcurrentQueue<ReadProblem>();
        var settings = HotplugSettingsReader.Read(Root, problems);
        if (settings.BlockSizeBytes is not > 0)
        {
            problems.Enqueue(new ReadProblem("block_size_bytes", $"cannot read the memory block size under {Root.MemoryDirectory}"));
            return MemorySnapshot.Empty(settings, [.. problems]);
        }

        // The listings are single-threaded system-call work: let them overlap; then the blocks use every core.
        var nodesTask = Task.Run(ReadNodeMap);
        var acpiTask = Task.Run(() => AcpiMemoryDeviceReader.ReadAll(Root, problems));
        var ids = ListBlockIds(problems);
        var blocks = ReadBlocks(ids, nodesTask.GetAwaiter().GetResult(), problems);
        var acpi = acpiTask.GetAwaiter().GetResult();
        var dimms = DimmMapper.Map(blocks, acpi, settings.BlockSizeBytes.Value, bootSlots, problems.Enqueue, ReadVirtioMem(problems));
        return new MemorySnapshot
        {
            Settings = settings,
            Blocks = blocks,
            AcpiDevices = acpi,
            Dimms = dimms,
            Problems = [.. problems],
        };
    }

    /// <summary>The virtio-mem regions in <c>/proc/iomem</c>; none when no path was given or the file cannot be read.</summary>
    private IReadOnlyList<VirtioMemRegion> ReadVirtioMem(ConcurrentQueue<ReadProblem> problems)
    {
        if (iomemPath is null)
        {
            return [];
        }

        string text;
        try
        {
            text = File.ReadAllText(iomemPath);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return []; // no procfs there (a test tree without one)
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problems.Enqueue(new ReadProblem("iomem", $"cannot read {iomemPath}: {e.Message}; virtio-mem memory is not told apart from boot memory"));
            return [];
        }

        var regions = Iomem.IomemParser.VirtioMemRegions(text, out var problem);
        if (problem is not null)
        {
            problems.Enqueue(new ReadProblem("iomem", problem));
        }

        return regions;
    }

    /// <summary>Reads one block now (its node from its own link); null if it is gone.</summary>
    public MemoryBlock? ReadBlock(int blockId)
    {
        var memoryFd = LibcFile.OpenDirectoryPath(Root.MemoryDirectory, out _);
        try
        {
            return memoryFd < 0 ? null : ReadOneBlock(memoryFd, blockId, null, Detail == SysfsReadDetail.Full, new ConcurrentQueue<ReadProblem>());
        }
        finally
        {
            LibcFile.CloseFd(memoryFd);
        }
    }

    internal IReadOnlyList<int> ListBlockIds(ConcurrentQueue<ReadProblem> problems)
    {
        var ids = new List<int>();
        if (!Directory.Exists(Root.MemoryDirectory))
        {
            problems.Enqueue(new ReadProblem("memory", $"{Root.MemoryDirectory} does not exist"));
            return ids;
        }

        ids.AddRange(LibcFile.ListBlockIds(Root.MemoryDirectory));
        ids.Sort();
        return ids;
    }

    /// <summary>Reads the listed blocks; a listed block that is gone by the time it is read is left out with a problem.</summary>
    internal IReadOnlyList<MemoryBlock> ReadBlocks(IReadOnlyList<int> listedIds, ConcurrentQueue<ReadProblem> problems) =>
        ReadBlocks(listedIds, ReadNodeMap(), problems);

    private List<MemoryBlock> ReadBlocks(IReadOnlyList<int> listedIds, Dictionary<int, int>? nodes, ConcurrentQueue<ReadProblem> problems)
    {
        var read = new MemoryBlock?[listedIds.Count];
        var memoryFd = LibcFile.OpenDirectoryPath(Root.MemoryDirectory, out var errno);
        if (memoryFd < 0)
        {
            problems.Enqueue(new ReadProblem("memory", $"cannot open {Root.MemoryDirectory} (errno {errno})"));
            return [];
        }

        try
        {
            var allPhysIndexes = Detail == SysfsReadDetail.Full || !PhysIndexMatchesName(memoryFd, listedIds);
            if (listedIds.Count < ParallelThreshold)
            {
                for (var i = 0; i < listedIds.Count; i++)
                {
                    read[i] = ReadOneBlock(memoryFd, listedIds[i], nodes, allPhysIndexes, problems);
                }
            }
            else
            {
                // Few, large ranges: the work per block is two system calls, so per-item scheduling would dominate.
                var chunk = Math.Max(ParallelThreshold, listedIds.Count / (Environment.ProcessorCount * 4));
                Parallel.ForEach(Partitioner.Create(0, listedIds.Count, chunk), range =>
                {
                    for (var i = range.Item1; i < range.Item2; i++)
                    {
                        read[i] = ReadOneBlock(memoryFd, listedIds[i], nodes, allPhysIndexes, problems);
                    }
                });
            }
        }
        finally
        {
            LibcFile.CloseFd(memoryFd);
        }

        var blocks = new List<MemoryBlock>(read.Length);
        foreach (var block in read)
        {
            if (block is not null)
            {
                blocks.Add(block);
            }
        }

        return blocks;
    }

    /// <summary>
    /// Reads one block with one system call per attribute relative to the memory directory (no per-block directory
    /// handle: system calls are the cost here). An online block whose node is known is read with one: its
    /// <c>valid_zones</c> (see <see cref="SysfsValueParser.OnlineZone"/>); any other reads <c>state</c> too (and
    /// <c>valid_zones</c> again only if it became online meanwhile). A block whose <c>state</c> is gone and whose directory is gone vanished.
    /// </summary>
    private MemoryBlock? ReadOneBlock(
        int memoryFd, int id, IReadOnlyDictionary<int, int>? nodes, bool readPhysIndex, ConcurrentQueue<ReadProblem> problems)
    {
        long? PhysIndex() => readPhysIndex ? SysfsValueParser.ParseHex(LibcFile.TryReadBlockAttribute(memoryFd, id, "phys_index"u8, out _)) : id;

        var node = nodes is null ? ReadNodeLink(id) : nodes.TryGetValue(id, out var n) ? n : null;
        var zonesFirst = node is not null && OneReadForOnlineBlocks && Detail != SysfsReadDetail.Full;
        var zonesText = zonesFirst ? LibcFile.TryReadBlockAttribute(memoryFd, id, "valid_zones"u8, out _) : null;
        if (zonesFirst && SysfsValueParser.OnlineZone(zonesText) is { } zone)
        {
            // One read: valid_zones names one zone only for an online block (any other block lists the default zone
            // and the others allowed, or says "none"). Read first only where that cannot oops (the node is set, below).
            return new MemoryBlock { Id = id, PhysIndex = PhysIndex(), State = BlockState.Online, StateText = "online", ValidZones = zone, Node = node };
        }

        var stateText = LibcFile.TryReadBlockAttribute(memoryFd, id, "state"u8, out var errno);
        if (stateText is null)
        {
            var name = MemoryBlockName.Format(id);
            if (LibcFile.IsNotFound(errno) && !Directory.Exists(Root.BlockDirectory(id)))
            {
                problems.Enqueue(new ReadProblem(name, "vanished while reading (removed meanwhile)"));
                return null;
            }

            problems.Enqueue(new ReadProblem(name, $"cannot read state (errno {errno})"));
        }

        var full = Detail == SysfsReadDetail.Full;
        var state = SysfsValueParser.ParseState(stateText);

        // valid_zones of a block that is not online is computed for its node; while the kernel is still adding the
        // block its node is unset, and reading it then oopses some kernels (Debian's 6.1: a NULL node in
        // zone_for_pfn_range, seen in the test VM). The node link appears once the node is set: wait for it.
        var zonesReadable = state == BlockState.Online || node is not null;
        if (!zonesReadable)
        {
            problems.Enqueue(new ReadProblem(MemoryBlockName.Format(id), "not yet linked to its node (still being added); valid_zones not read"));
        }

        return new MemoryBlock
        {
            Id = id,
            PhysIndex = PhysIndex(),
            State = state,
            StateText = stateText,

            // Read already when it came first and the block is still not online; read (again) when it became online.
            ValidZones = !zonesReadable ? []
                : SysfsValueParser.ParseZones(zonesFirst && state != BlockState.Online ? zonesText : LibcFile.TryReadBlockAttribute(memoryFd, id, "valid_zones"u8, out _)),
            Removable = full ? SysfsValueParser.ParseBool(LibcFile.TryReadBlockAttribute(memoryFd, id, "removable"u8, out _)) : null,
            OnlineFlag = full || stateText is null ? SysfsValueParser.ParseBool(LibcFile.TryReadBlockAttribute(memoryFd, id, "online"u8, out _)) : null,
            Node = node,
        };
    }

    /// <summary>The kernel names each block directory after its <c>phys_index</c>; checks that on the first and last block.</summary>
    private static bool PhysIndexMatchesName(int memoryFd, IReadOnlyList<int> ids)
    {
        if (ids.Count == 0)
        {
            return true;
        }

        foreach (var id in (int[])[ids[0], ids[^1]])
        {
            var text = LibcFile.TryReadBlockAttribute(memoryFd, id, "phys_index"u8, out var errno);
            if (text is null ? !LibcFile.IsNotFound(errno) : SysfsValueParser.ParseHex(text) != id)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Block → node from <c>devices/system/node/nodeX/memoryN</c> links: one directory listing per node instead of one
    /// per block. Null when there is no node directory (then each block's own <c>nodeX</c> link is looked at).
    /// </summary>
    private Dictionary<int, int>? ReadNodeMap()
    {
        if (!Directory.Exists(Root.NodeDirectory))
        {
            return null;
        }

        var map = new Dictionary<int, int>();
        foreach (var nodeName in LibcFile.ListNames(Root.NodeDirectory, "node"))
        {
            if (SysfsValueParser.ParseDecimal(nodeName["node".Length..]) is not { } node)
            {
                continue;
            }

            var ids = LibcFile.ListBlockIds(Path.Combine(Root.NodeDirectory, nodeName));
            map.EnsureCapacity(map.Count + ids.Count);
            foreach (var id in ids)
            {
                map[id] = node;
            }
        }

        return map;
    }

    private int? ReadNodeLink(int id)
    {
        foreach (var entry in LibcFile.ListNames(Root.BlockDirectory(id), "node"))
        {
            if (SysfsValueParser.ParseDecimal(entry["node".Length..]) is { } node)
            {
                return node;
            }
        }

        return null;
    }
}
