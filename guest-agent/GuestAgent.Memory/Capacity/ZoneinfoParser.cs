using System.Globalization;

namespace GuestAgent.Memory.Capacity;

/// <summary>
/// Pure: parses <c>/proc/zoneinfo</c>. Each zone starts with "Node N, zone NAME"; its figures follow, one per line
/// ("pages free N", "min N", "managed N", "protection: (a, b, …)"); node-wide figures appear under the "per-node stats"
/// heading of the node's first zone. Unknown lines are skipped.
/// </summary>
public static class ZoneinfoParser
{
    public static IReadOnlyList<ZoneStatistics> Parse(string text)
    {
        var zones = new List<ZoneStatistics>();
        Builder? current = null;
        var nodeStatistics = new Dictionary<int, Dictionary<string, long>>();
        var inNodeStatistics = false;
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.Trim();
            if (line.StartsWith("Node ", StringComparison.Ordinal) && line.Contains(", zone", StringComparison.Ordinal))
            {
                Flush();
                var comma = line.IndexOf(',', StringComparison.Ordinal);
                if (!int.TryParse(line.AsSpan(5, comma - 5).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var node))
                {
                    current = null;
                    continue;
                }

                var name = line[(line.IndexOf("zone", comma, StringComparison.Ordinal) + 4)..].Trim();
                current = new Builder(node, name);
                inNodeStatistics = false;
                continue;
            }

            if (current is null || line.Length == 0)
            {
                continue;
            }

            if (line == "per-node stats")
            {
                inNodeStatistics = true;
                continue;
            }

            if (line.StartsWith("protection:", StringComparison.Ordinal))
            {
                current.Protection = line["protection:".Length..].Trim().Trim('(', ')')
                    .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(p => long.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0)
                    .ToList();
                continue;
            }

            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields is ["pages", "free", var free] && Long(free) is { } f)
            {
                current.Figures["free"] = f;
                inNodeStatistics = false;
            }
            else if (fields.Length == 2 && Long(fields[1]) is { } value)
            {
                if (inNodeStatistics)
                {
                    if (!nodeStatistics.TryGetValue(current.Node, out var stats))
                    {
                        nodeStatistics[current.Node] = stats = new Dictionary<string, long>(StringComparer.Ordinal);
                    }

                    stats[fields[0]] = value;
                }
                else
                {
                    current.Figures[fields[0]] = value;
                }
            }
        }

        Flush();
        return zones.Select(z => z with
        {
            NodeStatistics = nodeStatistics.TryGetValue(z.Node, out var s) ? s : new Dictionary<string, long>(),
        }).ToList();

        void Flush()
        {
            if (current is not null)
            {
                zones.Add(current.Build());
            }

            current = null;
        }
    }

    private static long? Long(string text) => long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;

    private sealed class Builder(int node, string name)
    {
        public int Node { get; } = node;

        public Dictionary<string, long> Figures { get; } = new(StringComparer.Ordinal);

        public IReadOnlyList<long> Protection { get; set; } = [];

        public ZoneStatistics Build() => new()
        {
            Node = Node,
            Name = name,
            FreePages = Figures.GetValueOrDefault("free"),
            MinPages = Figures.GetValueOrDefault("min"),
            LowPages = Figures.GetValueOrDefault("low"),
            HighPages = Figures.GetValueOrDefault("high"),
            PresentPages = Figures.GetValueOrDefault("present"),
            ManagedPages = Figures.GetValueOrDefault("managed"),
            Protection = Protection,
        };
    }
}
