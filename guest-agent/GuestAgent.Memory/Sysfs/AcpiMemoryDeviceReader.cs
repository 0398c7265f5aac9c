using System.Collections.Concurrent;
using GuestAgent.Memory.Model;

namespace GuestAgent.Memory.Sysfs;

/// <summary>The ACPI memory devices (<c>PNP0C80:*</c>, QEMU's DIMMs) under a <see cref="SysfsRoot"/>: slot, status and the blocks each links; one that vanishes while read is a <see cref="ReadProblem"/>.</summary>
public static class AcpiMemoryDeviceReader
{
    public static List<AcpiMemoryDevice> ReadAll(SysfsRoot root, ConcurrentQueue<ReadProblem> problems)
    {
        var names = LibcFile.ListNames(root.AcpiDevicesDirectory, "PNP0C80:");
        var read = new AcpiMemoryDevice?[names.Count];
        Parallel.For(0, names.Count, new ParallelOptions { MaxDegreeOfParallelism = names.Count > 16 ? -1 : 1 }, i => read[i] = ReadOne(root, names[i], problems));
        var devices = read.OfType<AcpiMemoryDevice>().ToList();
        devices.Sort((a, b) => (a.Slot ?? int.MaxValue).CompareTo(b.Slot ?? int.MaxValue) is var c and not 0
            ? c
            : string.CompareOrdinal(a.Name, b.Name));
        return devices;
    }

    /// <summary>
    /// The blocks behind <c>physical_node</c>, <c>physical_node1</c>, … A DIMM is one contiguous range whose blocks the
    /// kernel links in address order, so when the first and last of N links are N-1 blocks apart the range is known
    /// from those two (the links counted, not named: a 4 GiB DIMM has 32); otherwise every link is read.
    /// </summary>
    private static List<int> ReadLinkedBlocks(int deviceFd, string path)
    {
        var count = LibcFile.CountNames(path, "physical_node"u8);
        var blockIds = new List<int>(count);
        if (count == 0)
        {
            return blockIds;
        }

        var last = "physical_node" + (count - 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (count > 2
            && LinkedBlock(deviceFd, "physical_node") is { } firstId
            && LinkedBlock(deviceFd, last) is { } lastId
            && lastId - firstId == count - 1)
        {
            for (var id = firstId; id <= lastId; id++)
            {
                blockIds.Add(id);
            }

            return blockIds;
        }

        foreach (var link in LibcFile.ListNames(path, "physical_node"))
        {
            if (LinkedBlock(deviceFd, link) is { } id)
            {
                blockIds.Add(id);
            }
        }

        blockIds.Sort();
        return blockIds;
    }

    private static int? LinkedBlock(int deviceFd, string link) =>
        LibcFile.ReadLinkAt(deviceFd, link) is { } target && MemoryBlockName.TryParse(target.TrimEnd('/'), out var id) ? id : null;

    private static AcpiMemoryDevice? ReadOne(SysfsRoot root, string name, ConcurrentQueue<ReadProblem> problems)
    {
        var path = Path.Combine(root.AcpiDevicesDirectory, name);
        var fd = LibcFile.OpenDirectoryPath(path, out var errno);
        if (fd < 0)
        {
            problems.Enqueue(new ReadProblem(name, $"vanished or unreadable while reading (errno {errno})"));
            return null;
        }

        try
        {
            var blockIds = ReadLinkedBlocks(fd, path);
            var uid = LibcFile.TryReadTextAt(fd, "uid", out _);
            return new AcpiMemoryDevice
            {
                Name = name,
                UidText = uid,
                Slot = SysfsValueParser.ParseAcpiUid(uid),
                Status = SysfsValueParser.ParseDecimal(LibcFile.TryReadTextAt(fd, "status", out _)),
                BlockIds = blockIds,
            };
        }
        finally
        {
            LibcFile.CloseFd(fd);
        }
    }
}
