using System.Globalization;
using GuestAgent.Memory.Sysfs;

namespace GuestAgent.TestSupport;

/// <summary>
/// A sysfs tree in a temporary directory: <c>devices/system/memory/…</c>, <c>devices/system/node/…</c>,
/// <c>bus/acpi/devices/PNP0C80:NN/…</c> and the memory_hotplug module parameters, laid out as the kernel does (the
/// node and ACPI entries are symbolic links), with the quirks tests need: gaps, missing attributes, vanished blocks.
/// </summary>
public sealed class FakeSysfsTree : IDisposable
{
    public const long DefaultBlockSize = 128L * 1024 * 1024;

    /// <param name="blockSize">What <c>block_size_bytes</c> says.</param>
    /// <param name="autoOnline">What <c>auto_online_blocks</c> says.</param>
    /// <param name="withParameters">Whether the memory_hotplug module parameters exist.</param>
    /// <param name="parentDirectory">Where to make the tree (default: the temporary directory).</param>
    public FakeSysfsTree(long blockSize = DefaultBlockSize, string autoOnline = "offline", bool withParameters = true, string? parentDirectory = null)
    {
        RootPath = Path.Combine(parentDirectory ?? Path.GetTempPath(), "fake-sysfs-" + Guid.NewGuid().ToString("N"));
        Root = new SysfsRoot(RootPath);
        BlockSize = blockSize;
        Directory.CreateDirectory(Root.MemoryDirectory);
        Directory.CreateDirectory(Root.AcpiDevicesDirectory);
        File.WriteAllText(Path.Combine(Root.MemoryDirectory, "block_size_bytes"), blockSize.ToString("x", CultureInfo.InvariantCulture) + "\n");
        File.WriteAllText(Path.Combine(Root.MemoryDirectory, "auto_online_blocks"), autoOnline + "\n");
        if (withParameters)
        {
            Directory.CreateDirectory(Root.HotplugParametersDirectory);
            WriteParameter("online_policy", "contig-zones");
            WriteParameter("auto_movable_ratio", "301");
            WriteParameter("auto_movable_numa_aware", "Y");
            WriteParameter("memmap_on_memory", "N");
        }
    }

    public string RootPath { get; }

    public SysfsRoot Root { get; }

    public long BlockSize { get; }

    public void WriteParameter(string name, string value) =>
        File.WriteAllText(Path.Combine(Root.HotplugParametersDirectory, name), value + "\n");

    /// <summary>
    /// Adds <c>memoryN</c>. <paramref name="zones"/> is what <c>valid_zones</c> reads (null: attribute missing). A new
    /// block appears whole, as the kernel's do: it is built beside the others and renamed into place, so an agent
    /// reconciling meanwhile never sees (or writes into) half of it.
    /// </summary>
    public FakeSysfsTree AddBlock(
        int id,
        string state = "online",
        string? zones = "Normal",
        int? node = 0,
        bool withRemovable = true,
        bool withPhysIndex = true,
        bool withOnline = true)
    {
        var dir = Root.BlockDirectory(id);
        var exists = Directory.Exists(dir);
        var building = exists ? dir : Path.Combine(Root.MemoryDirectory, ".adding-" + MemoryBlockName.Format(id));
        Directory.CreateDirectory(building);
        File.WriteAllText(Path.Combine(building, "state"), state + "\n");
        if (withPhysIndex)
        {
            File.WriteAllText(Path.Combine(building, "phys_index"), id.ToString("x8", CultureInfo.InvariantCulture) + "\n");
        }

        if (zones is not null)
        {
            File.WriteAllText(Path.Combine(building, "valid_zones"), zones + "\n");
        }

        if (withRemovable)
        {
            File.WriteAllText(Path.Combine(building, "removable"), "1\n");
        }

        if (withOnline)
        {
            File.WriteAllText(Path.Combine(building, "online"), (state == "online" ? "1" : "0") + "\n");
        }

        if (node is { } n)
        {
            // Relative from memory/<entry>/, the same for the building name and the final one.
            File.CreateSymbolicLink(Path.Combine(building, "node" + n.ToString(CultureInfo.InvariantCulture)), Path.Combine("..", "..", "node", "node" + n.ToString(CultureInfo.InvariantCulture)));
        }

        if (!exists)
        {
            Directory.Move(building, dir);
        }

        if (node is { } m)
        {
            var nodeDir = Path.Combine(Root.NodeDirectory, "node" + m.ToString(CultureInfo.InvariantCulture));
            Directory.CreateDirectory(nodeDir);
            File.CreateSymbolicLink(Path.Combine(nodeDir, MemoryBlockName.Format(id)), Path.Combine("..", "..", "memory", MemoryBlockName.Format(id)));
        }

        return this;
    }

    /// <summary>Boot memory as QEMU gives a 1 GiB guest: memory0 spanning DMA/DMA32 (valid_zones none), then DMA32.</summary>
    public FakeSysfsTree AddBootMemory(int blocks = 8, int node = 0)
    {
        AddBlock(0, "online", "none", node);
        for (var i = 1; i < blocks; i++)
        {
            AddBlock(i, "online", "DMA32", node);
        }

        return this;
    }

    /// <summary>Adds an offline hot-plugged DIMM's blocks and its ACPI device linking them.</summary>
    public FakeSysfsTree AddDimm(int slot, int firstBlock, int blockCount, string state = "offline", string? zones = null, int node = 0, int status = 15)
    {
        var ids = Enumerable.Range(firstBlock, blockCount).ToArray();
        foreach (var id in ids)
        {
            AddBlock(id, state, zones ?? (state == "offline" ? "Normal Movable" : "Movable"), node);
        }

        return AddAcpiDevice(slot, status, ids);
    }

    /// <summary>Adds <c>PNP0C80:NN</c> (NN = slot, two hex digits as the kernel names them) with links to the blocks.</summary>
    public FakeSysfsTree AddAcpiDevice(int slot, int status, params int[] blockIds)
    {
        var name = "PNP0C80:" + slot.ToString("x2", CultureInfo.InvariantCulture);
        var realDir = Path.Combine(RootPath, "devices", "LNXSYSTM:00", "LNXSYBUS:00", "PNP0A06:00", name);
        Directory.CreateDirectory(realDir);
        File.WriteAllText(Path.Combine(realDir, "uid"), "0x" + slot.ToString("X2", CultureInfo.InvariantCulture) + "\n"); // as QEMU gives it
        File.WriteAllText(Path.Combine(realDir, "status"), status.ToString(CultureInfo.InvariantCulture) + "\n");
        for (var i = 0; i < blockIds.Length; i++)
        {
            var link = Path.Combine(realDir, i == 0 ? "physical_node" : "physical_node" + i.ToString(CultureInfo.InvariantCulture));
            File.CreateSymbolicLink(link, Path.Combine("..", "..", "..", "..", "system", "memory", MemoryBlockName.Format(blockIds[i])));
        }

        var busLink = Path.Combine(Root.AcpiDevicesDirectory, name);
        if (!Path.Exists(busLink))
        {
            File.CreateSymbolicLink(busLink, Path.Combine("..", "..", "..", "devices", "LNXSYSTM:00", "LNXSYBUS:00", "PNP0A06:00", name));
        }

        return this;
    }

    /// <summary>Removes a block as the kernel does on unplug (directory and its node link).</summary>
    public void RemoveBlock(int id)
    {
        Directory.Delete(Root.BlockDirectory(id), recursive: true);
        if (Directory.Exists(Root.NodeDirectory))
        {
            foreach (var nodeDir in Directory.EnumerateDirectories(Root.NodeDirectory))
            {
                var link = Path.Combine(nodeDir, MemoryBlockName.Format(id));
                if (Path.Exists(link) || new FileInfo(link).LinkTarget is not null)
                {
                    File.Delete(link);
                }
            }
        }
    }

    /// <summary>Removes a DIMM as the kernel does when the guest ejects it: its blocks and its ACPI device.</summary>
    public void RemoveDimm(int slot, IEnumerable<int> blockIds)
    {
        foreach (var id in blockIds)
        {
            RemoveBlock(id);
        }

        var name = "PNP0C80:" + slot.ToString("x2", CultureInfo.InvariantCulture);
        File.Delete(Path.Combine(Root.AcpiDevicesDirectory, name));
        Directory.Delete(Path.Combine(RootPath, "devices", "LNXSYSTM:00", "LNXSYBUS:00", "PNP0A06:00", name), recursive: true);
    }

    /// <summary>Changes a block as the kernel would; each file is replaced whole, so a concurrent reader never sees it half written.</summary>
    public void SetBlock(int id, string state, string zones)
    {
        WriteWhole(Root.BlockAttribute(id, "valid_zones"), zones + "\n");
        WriteWhole(Root.BlockAttribute(id, "state"), state + "\n");
        if (File.Exists(Root.BlockAttribute(id, "online")))
        {
            WriteWhole(Root.BlockAttribute(id, "online"), (state == "online" ? "1" : "0") + "\n");
        }
    }

    private static void WriteWhole(string path, string text)
    {
        var temporary = path + ".new";
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite: true);
    }

    public string ReadState(int id) => File.ReadAllText(Root.BlockAttribute(id, "state")).Trim();

    public string ReadZones(int id) => File.ReadAllText(Root.BlockAttribute(id, "valid_zones")).Trim();

    public void Dispose()
    {
        try
        {
            Directory.Delete(RootPath, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: it is a temporary directory.
        }
    }
}
