using System.Globalization;
using GuestAgent.Memory.Model;

namespace GuestAgent.Memory.Mapping;

/// <summary>
/// Pure: groups blocks (ascending by id) into DIMMs. With ACPI memory devices, each present device is one DIMM (its
/// <c>physical_node*</c> blocks) and the blocks no device claims are boot memory. Without ACPI information, blocks are
/// grouped into runs of contiguous addresses on one node; the run that starts at address 0 is boot memory. The blocks
/// in a virtio-mem device's region (from <c>/proc/iomem</c>) are that device's, whatever else is known.
/// </summary>
public static class DimmMapper
{
    /// <summary>The DIMMs with <see cref="Dimm.PresentAtBoot"/> set from a record of the slots present at boot (boot memory keeps true).</summary>
    public static IReadOnlyList<Dimm> WithBootSlots(IReadOnlyList<Dimm> dimms, IReadOnlySet<int> bootSlots) =>
        dimms.Select(d => d.Kind == DimmKind.Acpi && d.Slot is { } slot ? d with { PresentAtBoot = bootSlots.Contains(slot) } : d).ToList();

    public static IReadOnlyList<Dimm> Map(
        IReadOnlyList<MemoryBlock> blocks,
        IReadOnlyList<AcpiMemoryDevice> acpiDevices,
        long blockSize,
        IReadOnlySet<int>? bootSlots,
        Action<ReadProblem>? report = null,
        IReadOnlyList<VirtioMemRegion>? virtioMem = null)
    {
        var claimed = new bool[blocks.Count];
        var claimedCount = 0;
        var dimms = new List<Dimm>();
        foreach (var device in acpiDevices)
        {
            if (!device.IsPresent)
            {
                continue;
            }

            var own = new List<MemoryBlock>(device.BlockIds.Count);
            foreach (var id in device.BlockIds)
            {
                var position = PositionOf(blocks, id);
                if (position < 0)
                {
                    continue;
                }

                if (claimed[position])
                {
                    report?.Invoke(new ReadProblem(device.Name, $"{blocks[position].Name} is linked from more than one ACPI memory device; kept with the first"));
                    continue;
                }

                claimed[position] = true;
                claimedCount++;
                own.Add(blocks[position]);
            }

            if (own.Count == 0)
            {
                report?.Invoke(new ReadProblem(
                    device.Name,
                    $"slot {device.UidText ?? "?"} is populated but has no memory blocks: the kernel did not add its memory (see the kernel log)"));
                continue;
            }

            own.Sort(static (a, b) => a.Index.CompareTo(b.Index));
            dimms.Add(new Dimm
            {
                Id = device.Slot is { } slot ? "slot" + slot.ToString(CultureInfo.InvariantCulture) : device.Name,
                Kind = DimmKind.Acpi,
                Slot = device.Slot,
                AcpiDevice = device.Name,
                StartAddress = own[0].Index * blockSize,
                SizeBytes = own.Count * blockSize,
                Node = CommonNode(own),
                BlockIds = own.ConvertAll(static b => b.Id),
                PresentAtBoot = device.Slot is { } s && bootSlots is not null ? bootSlots.Contains(s) : null,
            });
        }

        foreach (var region in virtioMem ?? [])
        {
            var own = new List<MemoryBlock>();
            for (var i = 0; i < blocks.Count; i++)
            {
                if (!claimed[i] && region.Contains(blocks[i].Index * blockSize))
                {
                    claimed[i] = true;
                    claimedCount++;
                    own.Add(blocks[i]);
                }
            }

            own.Sort(static (a, b) => a.Index.CompareTo(b.Index));
            dimms.Add(new Dimm
            {
                Id = "virtio-mem@0x" + region.Start.ToString("x", CultureInfo.InvariantCulture),
                Kind = DimmKind.VirtioMem,
                VirtioMem = region,
                StartAddress = region.Start,
                SizeBytes = region.Size,
                Node = own.Count > 0 ? CommonNode(own) : null,
                BlockIds = own.ConvertAll(static b => b.Id),
            });
        }

        var rest = new List<MemoryBlock>(blocks.Count - claimedCount);
        for (var i = 0; i < blocks.Count; i++)
        {
            if (!claimed[i])
            {
                rest.Add(blocks[i]);
            }
        }

        rest.Sort(static (a, b) => a.Index.CompareTo(b.Index));
        var anyAcpi = dimms.Count > 0 || acpiDevices.Count > 0;
        foreach (var run in ContiguousRuns(rest))
        {
            var start = run[0].Index * blockSize;
            var boot = anyAcpi || start == 0;
            dimms.Add(new Dimm
            {
                Id = (boot ? "boot@0x" : "range@0x") + start.ToString("x", CultureInfo.InvariantCulture),
                Kind = boot ? DimmKind.Boot : DimmKind.Range,
                StartAddress = start,
                SizeBytes = run.Count * blockSize,
                Node = CommonNode(run),
                BlockIds = run.ConvertAll(static b => b.Id),
                PresentAtBoot = boot ? true : null,
            });
        }

        dimms.Sort(static (a, b) => a.StartAddress.CompareTo(b.StartAddress));
        return dimms;
    }

    /// <summary>Where block <paramref name="id"/> is in <paramref name="blocks"/> (ascending by id), or -1.</summary>
    private static int PositionOf(IReadOnlyList<MemoryBlock> blocks, int id)
    {
        int lo = 0, hi = blocks.Count - 1;
        while (lo <= hi)
        {
            var mid = lo + ((hi - lo) / 2);
            var midId = blocks[mid].Id;
            if (midId == id)
            {
                return mid;
            }

            if (midId < id)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return -1;
    }

    /// <summary>Runs of blocks with consecutive indexes on the same node (input sorted by index).</summary>
    private static IEnumerable<List<MemoryBlock>> ContiguousRuns(List<MemoryBlock> sorted)
    {
        List<MemoryBlock>? run = null;
        foreach (var block in sorted)
        {
            if (run is not null && (block.Index != run[^1].Index + 1 || block.Node != run[^1].Node))
            {
                yield return run;
                run = null;
            }

            run ??= [];
            run.Add(block);
        }

        if (run is not null)
        {
            yield return run;
        }
    }

    private static int? CommonNode(List<MemoryBlock> blocks)
    {
        var node = blocks[0].Node;
        foreach (var block in blocks)
        {
            if (block.Node != node)
            {
                return null;
            }
        }

        return node;
    }
}
