using GuestAgent.Memory.Capacity;
using GuestAgent.Memory.Model;

namespace GuestAgent.Memory.Readiness;

/// <summary>
/// Pure: how much of a virtio-mem device is plugged. The driver adds 128 MiB memory blocks (what sysfs and
/// <c>/proc/iomem</c> show) and plugs them in units as small as 2 MiB; the units it has not plugged are kept out of the
/// kernel's page accounting. So the Movable part is the node's ZONE_MOVABLE <c>managed</c> pages (<c>/proc/zoneinfo</c>)
/// less the other Movable blocks of that node (DIMMs, which are managed whole); several virtio-mem devices on one node
/// share it in proportion to their Movable blocks. Measured on 6.1: a device asked for 30 MiB added one block, 32768
/// pages present in Movable, 7680 managed (30 MiB). Kernel-zone and offline blocks are counted whole (an upper bound).
/// </summary>
public static class VirtioMemAccounting
{
    public static VirtioMemAccount Of(MemorySnapshot snapshot, Dimm device, CapacitySample capacity)
    {
        var blockSize = snapshot.BlockSize;
        var own = snapshot.BlocksOf(device).ToList();
        var kernel = own.Count(b => b.State == BlockState.Online && !b.IsOnlineMovable) * blockSize;
        var offline = own.Count(b => b.State != BlockState.Online) * blockSize;
        var ownMovable = own.Where(b => b.IsOnlineMovable).ToList();
        if (ownMovable.Count == 0)
        {
            return new VirtioMemAccount(kernel + offline, 0, kernel, offline, kernel + offline > 0 ? "blocks outside Movable are counted whole" : null);
        }

        var node = ownMovable.Select(b => b.Node ?? device.Node).Distinct().ToList() is [var single] ? single : null;
        var movableZones = capacity.Zones.Where(z => z.Name == ZoneNames.Movable && (node is null || z.Node == node)).ToList();
        if (capacity.Problem is not null || movableZones.Count == 0)
        {
            var whole = ownMovable.Count * blockSize;
            return new VirtioMemAccount(whole + kernel + offline, whole, kernel, offline, "the kernel's page accounting could not be read: its blocks are counted whole");
        }

        bool OnNode(MemoryBlock b) => node is null || (b.Node ?? device.Node) == node;
        var virtioIds = snapshot.Dimms.Where(d => d.Kind == DimmKind.VirtioMem).SelectMany(d => d.BlockIds).ToHashSet();
        var movableBlocks = snapshot.Blocks.Where(b => b.IsOnlineMovable && OnNode(b)).ToList();
        var othersWhole = movableBlocks.Count(b => !virtioIds.Contains(b.Id)) * blockSize;
        var virtioBlocks = movableBlocks.Count(b => virtioIds.Contains(b.Id));
        var managed = movableZones.Sum(z => z.ManagedPages) * capacity.PageSize;
        var virtioPlugged = Math.Clamp(managed - othersWhole, 0, virtioBlocks * blockSize);
        var shared = virtioBlocks > ownMovable.Count;
        var movable = shared ? virtioPlugged * ownMovable.Count / virtioBlocks : virtioPlugged;
        movable = Math.Min(movable, ownMovable.Count * blockSize);
        var note = shared
            ? "other virtio-mem devices share its node's Movable zone: its part is estimated from its share of the blocks"
            : kernel + offline > 0 ? "blocks outside Movable are counted whole" : null;
        return new VirtioMemAccount(movable + kernel + offline, movable, kernel, offline, note);
    }
}
