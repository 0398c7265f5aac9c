using GuestAgent.Memory.Model;
using GuestAgent.Protocol.Sizes;

namespace GuestAgent.Memory.Capacity;

/// <summary>
/// Pure: can the guest give up a set of DIMMs without running short? Unplugging takes the DIMMs' online memory away;
/// their free part simply goes, and what they hold must move into the rest (anonymous memory, tmpfs, page cache) or,
/// for clean file cache, be dropped. So what stays available afterwards is <c>MemAvailable − online bytes</c>,
/// whatever the split between held and free, and the unplug fits when that is at least the reserve.
/// <c>MemAvailable</c> already leaves out the zones' high watermarks and lowmem reserves and counts reclaimable file
/// cache and slab, but not tmpfs, anonymous memory (most guests have no swap) or huge pages.
/// How much a DIMM holds is only shown to people: the kernel counts usage per zone, not per block, so it is bounded by
/// the use of the Movable zone on the DIMM's node (exact when the DIMM is that zone's only memory).
/// </summary>
public static class UnplugCapacity
{
    public static CapacityVerdict Evaluate(MemorySnapshot snapshot, CapacitySample sample, IEnumerable<Dimm> dimms, long reserveBytes)
    {
        // Per node, in a short list: a DIMM's blocks are nearly always on one node.
        var online = new List<(int Node, long Bytes)>(1);
        long onlineBytes = 0, notMovable = 0;
        foreach (var dimm in dimms)
        {
            foreach (var block in snapshot.BlocksOf(dimm))
            {
                if (block.State is BlockState.Offline)
                {
                    continue;
                }

                onlineBytes += snapshot.BlockSize;
                if (!block.IsOnlineMovable)
                {
                    notMovable += snapshot.BlockSize;
                    continue;
                }

                var node = block.Node ?? 0;
                var at = online.FindIndex(n => n.Node == node);
                if (at < 0)
                {
                    online.Add((node, snapshot.BlockSize));
                }
                else
                {
                    online[at] = (node, online[at].Bytes + snapshot.BlockSize);
                }
            }
        }

        if (onlineBytes == 0)
        {
            return new CapacityVerdict(true, true, 0, 0, sample.AvailableBytes ?? 0, reserveBytes, "nothing of it is online: it holds nothing");
        }

        if (sample.AvailableBytes is not { } available)
        {
            return new CapacityVerdict(false, false, onlineBytes, onlineBytes, 0, reserveBytes,
                $"whether the rest of the guest can take what it holds is unknown ({sample.Problem ?? "no MemAvailable"})");
        }

        var holds = notMovable + online.Sum(n => Math.Min(n.Bytes, sample.Zones.Count == 0 ? n.Bytes : sample.MovableUsedBytes(n.Node)));
        var verdict = new CapacityVerdict(true, false, onlineBytes, holds, available, reserveBytes, "");
        var fits = verdict.AfterBytes >= reserveBytes;
        var reserve = ByteSize.Approximate(reserveBytes);
        var reason = fits
            ? $"the rest of the guest can take what it holds (~{ByteSize.Approximate(holds)}): ~{ByteSize.Approximate(verdict.AfterBytes)} stays available, reserve {reserve}"
            : $"holds ~{ByteSize.Approximate(holds)}; the rest of the guest has ~{ByteSize.Approximate(Math.Max(0, verdict.RestAvailableBytes))} available after the kernel's watermarks, "
              + $"and {reserve} must stay available (Memory:UnplugReserve): free about {ByteSize.Approximate(verdict.ShortBytes)} in the guest first";
        return verdict with { Fits = fits, Reason = reason };
    }

    /// <summary>
    /// How much online DIMM memory the guest can give up now, in bytes (<c>MemAvailable</c> minus the reserve, at least 0):
    /// a set of DIMMs fits when the sum of their online bytes is at most this. Null when unknown.
    /// </summary>
    public static long? Headroom(CapacitySample sample, long reserveBytes) =>
        sample.AvailableBytes is { } available ? Math.Max(0, available - reserveBytes) : null;
}
