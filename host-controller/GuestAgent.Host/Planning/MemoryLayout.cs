namespace GuestAgent.Host.Planning;

/// <summary>
/// QEMU's memory right now: boot memory, memory in DIMMs, the DIMM slots in use, and the regions of other memory
/// devices (virtio-mem), which take their whole size out of maxmem however much of it they have plugged.
/// </summary>
public sealed record MemoryLayout(long BootMemory, long PluggedMemory, int UsedSlots, long OtherDeviceRegions = 0)
{
    public long Current => BootMemory + PluggedMemory;

    /// <summary>What counts against maxmem: QEMU refuses a DIMM that does not fit beside all of this.</summary>
    public long UnderMaxMemory => Current + OtherDeviceRegions;

    /// <summary>Room under <paramref name="maxMemory"/> for more DIMMs.</summary>
    public long RoomUnder(long maxMemory) => Math.Max(0, maxMemory - UnderMaxMemory);
}
