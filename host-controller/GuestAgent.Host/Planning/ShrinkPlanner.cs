namespace GuestAgent.Host.Planning;

/// <summary>
/// Which DIMMs to release for a decrease: the set whose total is as large as possible without exceeding it, and whose
/// cost to the guest (what they have online) fits the guest's headroom together. Among sets with that total, larger
/// DIMMs first, then higher slots (the newest), which is oVirt's greedy order whenever greedy is optimal: 1792 MiB
/// (1 GiB + 256 + 256 + 128 + 128) asked for 1400 MiB releases one 256 and one 128 and ends at 1408.
/// </summary>
public static class ShrinkPlanner
{
    /// <param name="candidates">The DIMMs that may go.</param>
    /// <param name="decrease">How much memory should go at most.</param>
    /// <param name="headroom">How much online memory the guest can give up together (null: no limit known).</param>
    public static IReadOnlyList<UnplugCandidate> Choose(IReadOnlyList<UnplugCandidate> candidates, long decrease, long? headroom = null)
    {
        var usable = candidates.Where(c => c.Size > 0 && c.Size <= decrease && (headroom is not { } h || c.EffectiveCost <= h))
            .OrderByDescending(c => c.Size).ThenByDescending(c => c.Slot ?? -1).ThenBy(c => c.Id, StringComparer.Ordinal)
            .ToList();
        if (usable.Count == 0)
        {
            return [];
        }

        // In units of the sizes' greatest common divisor (128 MiB on x86): a few thousand units at most.
        var unit = usable.Select(c => c.Size).Aggregate(Gcd);
        var capacity = checked((int)Math.Min(decrease / unit, usable.Sum(c => c.Size / unit)));
        var n = usable.Count;
        const long unreachable = long.MaxValue;

        // cheapest[i][s]: the least cost of a subset of usable[i..] whose sizes add up to exactly s units.
        var cheapest = new long[n + 1][];
        cheapest[n] = new long[capacity + 1];
        Array.Fill(cheapest[n], unreachable);
        cheapest[n][0] = 0;
        for (var i = n - 1; i >= 0; i--)
        {
            var size = (int)(usable[i].Size / unit);
            var cost = usable[i].EffectiveCost;
            var next = cheapest[i + 1];
            var row = (long[])next.Clone();
            for (var s = size; s <= capacity; s++)
            {
                if (next[s - size] != unreachable && next[s - size] + cost < row[s])
                {
                    row[s] = next[s - size] + cost;
                }
            }

            cheapest[i] = row;
        }

        var budget = headroom ?? long.MaxValue - 1;
        var best = capacity;
        while (best > 0 && cheapest[0][best] > budget)
        {
            best--;
        }

        // Walk in order, taking an item whenever the rest can still complete the sum within the budget: larger and newer first.
        var chosen = new List<UnplugCandidate>();
        var remaining = best;
        var left = budget;
        for (var i = 0; i < n && remaining > 0; i++)
        {
            var size = (int)(usable[i].Size / unit);
            var cost = usable[i].EffectiveCost;
            if (size <= remaining && cost <= left && cheapest[i + 1][remaining - size] <= left - cost)
            {
                chosen.Add(usable[i]);
                remaining -= size;
                left -= cost;
            }
        }

        return chosen;
    }

    private static long Gcd(long a, long b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }

        return a;
    }
}
