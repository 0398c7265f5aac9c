namespace GuestAgent.Host.Planning;

/// <summary>
/// Which DIMMs to release for a decrease: the set whose total is as large as possible without exceeding it. Among sets
/// with that total, larger DIMMs first, then higher slots (the newest), which is oVirt's greedy order whenever greedy is
/// optimal: 1792 MiB (1 GiB + 256 + 256 + 128 + 128) asked for 1400 MiB releases one 256 and one 128 and ends at 1408.
/// </summary>
public static class ShrinkPlanner
{
    public static IReadOnlyList<UnplugCandidate> Choose(IReadOnlyList<UnplugCandidate> candidates, long decrease)
    {
        var usable = candidates.Where(c => c.Size > 0 && c.Size <= decrease)
            .OrderByDescending(c => c.Size).ThenByDescending(c => c.Slot ?? -1).ThenBy(c => c.Id, StringComparer.Ordinal)
            .ToList();
        if (usable.Count == 0)
        {
            return [];
        }

        // Subset sum in units of the sizes' greatest common divisor (128 MiB on x86): a few thousand units at most.
        var unit = usable.Select(c => c.Size).Aggregate(Gcd);
        var capacity = checked((int)Math.Min(decrease / unit, usable.Sum(c => c.Size / unit)));
        var n = usable.Count;

        // reachable[i][s]: some subset of usable[i..] sums to exactly s units.
        var reachable = new bool[n + 1][];
        reachable[n] = new bool[capacity + 1];
        reachable[n][0] = true;
        for (var i = n - 1; i >= 0; i--)
        {
            var size = (int)(usable[i].Size / unit);
            var next = reachable[i + 1];
            var row = (bool[])next.Clone();
            for (var s = size; s <= capacity; s++)
            {
                row[s] |= next[s - size];
            }

            reachable[i] = row;
        }

        var best = capacity;
        while (!reachable[0][best])
        {
            best--;
        }

        // Walk in order, taking an item whenever the rest can still complete the sum: larger and newer first.
        var chosen = new List<UnplugCandidate>();
        var remaining = best;
        for (var i = 0; i < n && remaining > 0; i++)
        {
            var size = (int)(usable[i].Size / unit);
            if (size <= remaining && reachable[i + 1][remaining - size])
            {
                chosen.Add(usable[i]);
                remaining -= size;
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
