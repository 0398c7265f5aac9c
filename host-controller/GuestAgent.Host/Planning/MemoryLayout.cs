namespace GuestAgent.Host.Planning;

/// <summary>QEMU's memory right now: boot memory, memory in DIMMs, and the DIMM slots in use.</summary>
public sealed record MemoryLayout(long BootMemory, long PluggedMemory, int UsedSlots)
{
    public long Current => BootMemory + PluggedMemory;
}
