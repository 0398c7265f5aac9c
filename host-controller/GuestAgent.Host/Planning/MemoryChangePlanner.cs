using GuestAgent.Protocol.Sizes;

namespace GuestAgent.Host.Planning;

/// <summary><c>set-memory</c>'s decision, pure: grow by one rounded DIMM, or release the best-fitting hot-plugged DIMMs.</summary>
public static class MemoryChangePlanner
{
    /// <summary>Throws <see cref="InvalidOperationException"/> with a message for a person when the target cannot be planned.</summary>
    /// <param name="target">The memory the VM should have.</param>
    /// <param name="layout">What it has.</param>
    /// <param name="limits">Its limits.</param>
    /// <param name="candidates">The DIMMs a shrink may release (each ready in the guest, or forced).</param>
    /// <param name="headroom">How much online memory the guest can give up together; null when unknown (an older agent, or forced).</param>
    public static MemoryChangePlan Plan(long target, MemoryLayout layout, VmLimits limits, IReadOnlyList<UnplugCandidate> candidates, long? headroom = null)
    {
        var current = layout.Current;
        if (target < layout.BootMemory)
        {
            throw new InvalidOperationException(
                $"{ByteSize.Format(target)} is below the boot memory ({ByteSize.Format(layout.BootMemory)}), which is never removed");
        }

        if (target == current)
        {
            return new MemoryChangePlan { Kind = MemoryChangeKind.Nothing, Target = target, Current = current, Resulting = current };
        }

        if (target > current)
        {
            var grow = PlugPlanner.RoundUpGrowth(target - current, limits);
            if (PlugPlanner.Check(grow, limits, layout) is { } refusal)
            {
                throw new InvalidOperationException($"cannot grow to {ByteSize.Format(target)}: {refusal}");
            }

            return new MemoryChangePlan
            {
                Kind = MemoryChangeKind.Grow, Target = target, Current = current, Resulting = current + grow, GrowBy = grow,
                Note = grow == target - current ? null : $"rounded up to a multiple of {ByteSize.Format(limits.Granularity)}",
            };
        }

        var decrease = current - target;
        var release = ShrinkPlanner.Choose(candidates, decrease, headroom);
        var unconstrained = headroom is null ? release : ShrinkPlanner.Choose(candidates, decrease);
        var left = unconstrained.Except(release).ToList();
        var released = release.Sum(c => c.Size);
        if (release.Count == 0)
        {
            var smallest = candidates.Count == 0 ? null : candidates.Min(c => c.Size) as long?;
            throw new InvalidOperationException(smallest is null
                ? $"cannot shrink to {ByteSize.Format(target)}: no DIMM can be released"
                : left.Count > 0
                    ? $"cannot shrink to {ByteSize.Format(target)}: the guest can give up only ~{ByteSize.Approximate(headroom ?? 0)} of online memory now, less than any DIMM that fits the decrease holds"
                    : $"cannot shrink to {ByteSize.Format(target)}: every releasable DIMM is larger than the decrease of {ByteSize.Format(decrease)} (smallest: {ByteSize.Format(smallest.Value)})");
        }

        return new MemoryChangePlan
        {
            Kind = MemoryChangeKind.Shrink, Target = target, Current = current, Resulting = current - released, Release = release, LeftForCapacity = left,
            Note = released == decrease ? null : $"no set of DIMMs adds up to exactly {ByteSize.Format(decrease)}; releasing {ByteSize.Format(released)} keeps memory at or above the target",
        };
    }
}
