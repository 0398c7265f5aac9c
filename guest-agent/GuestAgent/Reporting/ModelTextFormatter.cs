using System.Globalization;
using System.Text;
using GuestAgent.Protocol.Model;

namespace GuestAgent.Reporting;

/// <summary>Pure: the report as a table for people, in the manner of util-linux <c>lsmem</c>, plus readiness.</summary>
public static class ModelTextFormatter
{
    public static string Format(ModelReport report)
    {
        var text = new StringBuilder();
        var b = report.Blocks;
        text.Append(CultureInfo.InvariantCulture,
            $"Memory block size: {Size(report.BlockSize)}   auto_online_blocks: {report.AutoOnlineBlocks ?? "?"}   policy: {report.Policy}");
        if (report.AutoMovableRatio is { } ratio)
        {
            text.Append(CultureInfo.InvariantCulture, $" (ratio {ratio}%)");
        }

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"Blocks: {b.Total} ({b.Online} online: {Size(b.KernelBytes)} kernel, {Size(b.MovableBytes)} Movable; {b.Offline} offline{(b.GoingOffline > 0 ? $"; {b.GoingOffline} going offline" : "")}{(b.Unknown > 0 ? $"; {b.Unknown} unreadable" : "")})");
        if (report.Capacity is { } capacity)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"Available: {Size(capacity.Available)} (MemAvailable)   unplug reserve: {Size(capacity.Reserve)}   can give up: {Size(capacity.Headroom)} of online DIMM memory");
        }

        if (report.PlugBudget is { } budget)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"Plug budget: {(budget.Bytes is { } bytes ? Size(bytes) : "no limit seen")}: {budget.Reason}");
            foreach (var node in budget.Nodes)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  node {node.Node}: {(node.Bytes is { } nodeBytes ? Size(nodeBytes) : "no limit seen")}: {node.Reason}");
            }
        }

        text.AppendLine();

        var rows = new List<string[]> { new[] { "DIMM", "SLOT", "RANGE", "SIZE", "NODE", "BLOCKS", "ZONE", "STATE", "READINESS", "REASON" } };
        foreach (var d in report.Dimms)
        {
            rows.Add(
            [
                d.Id,
                d.Slot?.ToString(CultureInfo.InvariantCulture) ?? "-",
                $"0x{d.Start:x16}-0x{d.Start + d.Size - 1:x16}",
                Size(d.Size),
                d.Node?.ToString(CultureInfo.InvariantCulture) ?? "-",
                BlockRange(d.Blocks),
                d.Zones.Count == 0 ? "-" : string.Join(',', d.Zones),
                d.State,
                d.Readiness,
                d.Reason,
            ]);
        }

        var widths = Enumerable.Range(0, rows[0].Length - 1).Select(i => rows.Max(r => r[i].Length)).ToArray();
        foreach (var row in rows)
        {
            for (var i = 0; i < widths.Length; i++)
            {
                text.Append(row[i].PadRight(widths[i])).Append("  ");
            }

            text.AppendLine(row[^1]);
        }

        if (report.Applied is { Count: > 0 } applied)
        {
            text.AppendLine().AppendLine("Applied:");
            foreach (var a in applied)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  {a.Block}: {a.Action}: {(a.Ok ? "ok" : "FAILED")}: {a.Message}");
            }
        }

        if (report.Failures.Count > 0)
        {
            text.AppendLine().AppendLine("Failed writes:");
            foreach (var f in report.Failures)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  {f.Block}: {f.Action}: {f.Message}");
            }
        }

        if (report.Warnings.Count > 0)
        {
            text.AppendLine().AppendLine("Warnings:");
            foreach (var w in report.Warnings)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  {w.Subject}: {w.Message}");
            }
        }

        if (report.Recoveries.Count > 0)
        {
            text.AppendLine().AppendLine("Recovered at start:");
            foreach (var r in report.Recoveries)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  {r.Dimm}: {r.Message}");
            }
        }

        if (report.Problems.Count > 0)
        {
            text.AppendLine().AppendLine("Problems:");
            foreach (var p in report.Problems)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  {p.Subject}: {p.Message}");
            }
        }

        return text.ToString();
    }

    /// <summary>Sizes the way lsmem prints them: 128M, 1G, 1.5G.</summary>
    public static string Size(long bytes)
    {
        string[] units = ["B", "K", "M", "G", "T", "P"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return value.ToString(value % 1 == 0 ? "0" : "0.#", CultureInfo.InvariantCulture) + units[unit];
    }

    private static string BlockRange(IReadOnlyList<string> blocks) => blocks.Count switch
    {
        0 => "-",
        1 => blocks[0]["memory".Length..],
        _ => $"{blocks[0]["memory".Length..]}-{blocks[^1]["memory".Length..]}",
    };
}
