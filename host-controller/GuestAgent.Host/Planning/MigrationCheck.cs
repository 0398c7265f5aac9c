using GuestAgent.Host.Hypervisor;
using GuestAgent.Protocol.Sizes;

namespace GuestAgent.Host.Planning;

/// <summary>
/// Pure: whether a destination started for an incoming migration has the source's memory devices (QEMU migrates the
/// memory, not the devices: a destination must be started with them, as <c>qemu-args</c> prints them). Each difference
/// is said, so none is found only by QEMU failing the migration halfway.
/// </summary>
public static class MigrationCheck
{
    public static IReadOnlyList<string> Differences(HypervisorMemory source, HypervisorMemory destination)
    {
        var differences = new List<string>();
        if (source.BootMemory != destination.BootMemory)
        {
            differences.Add($"boot memory is {ByteSize.Format(source.BootMemory)} here and {ByteSize.Format(destination.BootMemory)} there (-m)");
        }

        foreach (var dimm in source.Dimms)
        {
            var there = destination.Find(dimm.Name);
            if (there is null)
            {
                differences.Add($"{dimm.Name} ({ByteSize.Format(dimm.Size)} in slot {dimm.Slot}) is missing there: start the destination with the arguments qemu-args prints");
            }
            else if (there.Size != dimm.Size || there.Slot != dimm.Slot || there.Addr != dimm.Addr || there.Node != dimm.Node)
            {
                differences.Add($"{dimm.Name} is {Describe(dimm)} here and {Describe(there)} there");
            }
        }

        foreach (var extra in destination.Dimms.Where(d => source.Find(d.Name) is null))
        {
            differences.Add($"{extra.Name} ({ByteSize.Format(extra.Size)} in slot {extra.Slot}) is there but not here");
        }

        foreach (var device in source.VirtioMem)
        {
            var there = destination.VirtioMem.FirstOrDefault(d => d.Id == device.Id);
            if (there is null)
            {
                differences.Add($"virtio-mem {device.Id} is missing there");
            }
            else if (there.MaxSize != device.MaxSize || there.BlockSize != device.BlockSize || there.Node != device.Node)
            {
                differences.Add($"virtio-mem {device.Id} has {ByteSize.Format(device.MaxSize)} in {ByteSize.Format(device.BlockSize)} blocks on node {device.Node} here, "
                    + $"{ByteSize.Format(there.MaxSize)} in {ByteSize.Format(there.BlockSize)} blocks on node {there.Node} there");
            }
        }

        foreach (var extra in destination.VirtioMem.Where(d => source.VirtioMem.All(s => s.Id != d.Id)))
        {
            differences.Add($"virtio-mem {extra.Id} is there but not here");
        }

        return differences;
    }

    private static string Describe(HypervisorDimm dimm) =>
        $"{ByteSize.Format(dimm.Size)} in slot {dimm.Slot?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"} at {ByteSize.Address(dimm.Addr)} on node {dimm.Node}";
}
