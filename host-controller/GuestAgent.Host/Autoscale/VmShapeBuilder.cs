using GuestAgent.Host.Hypervisor;
using GuestAgent.Host.Planning;
using GuestAgent.Protocol.Model;
using GuestAgent.Protocol.Payloads;

namespace GuestAgent.Host.Autoscale;

/// <summary>
/// Pure: the VM for a decision from what the hypervisor lists and the devices the guest reports, each hypervisor
/// device joined to the guest's by what both see (a DIMM's ACPI slot checked against its address, or its address; a
/// virtio-mem device's address, or the guest's only virtio-mem region where the hypervisor does not say it).
/// </summary>
public static class VmShapeBuilder
{
    public static VmShape Build(HypervisorMemory memory, VmLimits limits, IReadOnlyList<DeviceStatusReport> guest)
    {
        if (memory.VirtioMem.Count > 0)
        {
            var device = memory.VirtioMem[0];
            var regions = guest.Where(d => d.Kind == DimmKinds.VirtioMem).ToList();
            var match = device.Addr != 0 ? regions.FirstOrDefault(d => d.Start == device.Addr) : regions.Count == 1 ? regions[0] : null;
            return new VmShape
            {
                Boot = memory.BootMemory,
                Current = memory.CurrentMemory,
                Granularity = Lcm(Math.Max(device.BlockSize, 1), limits.BlockSize),
                VirtioMem = new VmDevice(device.Id, device.Size, match?.Id),
                Room = Math.Max(0, device.MaxSize - device.Size),
            };
        }

        var free = limits.Slots is not { } slots || memory.Dimms.Count < slots;
        long? room = !free ? 0 : limits.MaxMemory is { } max ? memory.Layout.RoomUnder(max) : null;
        return new VmShape
        {
            Boot = memory.BootMemory,
            Current = memory.CurrentMemory,
            Granularity = limits.Granularity,
            Room = room,
            Dimms = memory.Dimms.Select(d => new VmDevice(d.Name, d.Size, Find(guest, d)?.Id)).ToList(),
        };
    }

    private static DeviceStatusReport? Find(IReadOnlyList<DeviceStatusReport> guest, HypervisorDimm dimm) =>
        guest.FirstOrDefault(d => d.Kind == DimmKinds.Acpi && d.Slot == dimm.Slot && d.Start == dimm.Addr)
        ?? guest.FirstOrDefault(d => d.Kind == DimmKinds.Range && d.Start == dimm.Addr && d.Size == dimm.Size);

    private static long Lcm(long a, long b)
    {
        var (x, y) = (a, b);
        while (y != 0)
        {
            (x, y) = (y, x % y);
        }

        return a / x * b;
    }
}
