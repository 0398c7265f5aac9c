using GuestAgent.Protocol.Sizes;

namespace GuestAgent.Host.Planning;

/// <summary>Whether one more DIMM may be asked of QEMU, decided before QEMU is asked; and how growth is rounded.</summary>
public static class PlugPlanner
{
    /// <summary>Null when a DIMM of <paramref name="size"/> may be plugged; otherwise why not, for a person.</summary>
    public static string? Check(long size, VmLimits limits, MemoryLayout layout)
    {
        if (size <= 0)
        {
            return "the size must be larger than zero";
        }

        if (size % limits.BlockSize != 0)
        {
            return $"{ByteSize.Format(size)} is not a multiple of the guest's memory block size ({ByteSize.Format(limits.BlockSize)}); "
                   + "the guest kernel would reject the DIMM and misplace the next one";
        }

        if (size % limits.Multiple != 0)
        {
            return $"{ByteSize.Format(size)} is not a multiple of the plug multiple ({ByteSize.Format(limits.Multiple)}, --multiple)";
        }

        if (limits.Slots is { } slots && layout.UsedSlots >= slots)
        {
            return $"no free DIMM slot: all {slots} are in use";
        }

        if (limits.MaxMemory is { } max && layout.UnderMaxMemory + size > max)
        {
            var regions = layout.OtherDeviceRegions > 0 ? $", virtio-mem regions {ByteSize.Format(layout.OtherDeviceRegions)} included" : "";
            return $"{ByteSize.Format(size)} more would make {ByteSize.Format(layout.UnderMaxMemory + size)}{regions}, beyond the VM's maximum of "
                   + $"{ByteSize.Format(max)} (room left: {ByteSize.Format(layout.RoomUnder(max))})";
        }

        return null;
    }

    /// <summary>Growth is rounded up to the granularity, as oVirt does: the guest gets at least what was asked.</summary>
    public static long RoundUpGrowth(long difference, VmLimits limits)
    {
        var granularity = limits.Granularity;
        return (difference + granularity - 1) / granularity * granularity;
    }
}
