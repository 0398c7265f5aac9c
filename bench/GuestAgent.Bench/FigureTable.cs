using System.Globalization;
using System.Text;

namespace GuestAgent.Bench;

/// <summary>Prints figures as an aligned table.</summary>
public static class FigureTable
{
    public static string Format(IEnumerable<BenchFigure> figures)
    {
        var rows = new List<string[]> { new[] { "figure", "value", "peer", "ratio", "target", "ok" } };
        foreach (var f in figures)
        {
            rows.Add(
            [
                f.Name,
                $"{Number(f.Value)} {f.Unit}",
                f.Peer is { } p ? $"{Number(p)} {f.Unit} ({f.PeerName})" : "-",
                f.Ratio is { } r ? r.ToString("0.00", CultureInfo.InvariantCulture) + "x" : "-",
                f.Target,
                f.MeetsTarget ? "yes" : "NO",
            ]);
        }

        var widths = Enumerable.Range(0, rows[0].Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var row in rows)
        {
            text.AppendLine(string.Join("  ", row.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd());
        }

        return text.ToString();
    }

    private static string Number(double value) => value >= 100
        ? value.ToString("0", CultureInfo.InvariantCulture)
        : value.ToString("0.###", CultureInfo.InvariantCulture);
}
