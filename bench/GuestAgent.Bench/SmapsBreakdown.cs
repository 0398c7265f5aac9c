using System.Globalization;

namespace GuestAgent.Bench;

/// <summary>
/// A process's anonymous memory (RssAnon: what the kernel cannot drop) by what holds it, from <c>/proc/PID/smaps</c>:
/// each mapping's <c>Anonymous:</c> counted under the GC heap (the runtime's one large reservation, a run of
/// anonymous mappings spanning at least 1 GiB), threads' stacks (a writable mapping right above a one-page guard),
/// the native heap (<c>[heap]</c>, and glibc's per-thread arenas: 64 MiB-aligned runs of 64 MiB), the executable's and
/// libraries' written data (their file-backed mappings' private copies), the main thread's stack, and the rest.
/// </summary>
public sealed record SmapsBreakdown(IReadOnlyDictionary<string, double> MiB)
{
    public const string GcHeap = "GC heap";
    public const string ThreadStacks = "threads' stacks";
    public const string NativeHeap = "native heap (malloc)";
    public const string WrittenData = "executable's and libraries' written data";
    public const string MainStack = "main thread's stack";
    public const string Other = "other anonymous mappings";

    private const long GiB = 1L << 30;
    private const long Arena = 64L << 20;

    private sealed record Mapping(long Start, long End, string Permissions, string Path, long AnonymousKiB);

    public static SmapsBreakdown Read(int pid) => Parse(File.ReadAllText($"/proc/{pid}/smaps"));

    public static SmapsBreakdown Parse(string smaps)
    {
        var mappings = new List<Mapping>();
        foreach (var line in smaps.Split('\n'))
        {
            var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 5 && fields[0].Contains('-') && fields[1].Length == 4)
            {
                var range = fields[0].Split('-');
                mappings.Add(new Mapping(
                    long.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                    long.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                    fields[1],
                    fields.Length == 6 ? fields[5].Trim() : "",
                    0));
            }
            else if (line.StartsWith("Anonymous:", StringComparison.Ordinal) && mappings.Count > 0)
            {
                var kib = long.Parse(line["Anonymous:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                mappings[^1] = mappings[^1] with { AnonymousKiB = kib };
            }
        }

        var totals = new Dictionary<string, double>();
        void Add(string part, long kib) => totals[part] = totals.GetValueOrDefault(part) + (kib / 1024.0);
        for (var i = 0; i < mappings.Count; i++)
        {
            var m = mappings[i];
            if (m.AnonymousKiB == 0)
            {
                continue;
            }

            if (m.Path.Length > 0)
            {
                Add(m.Path switch { "[heap]" => NativeHeap, "[stack]" => MainStack, _ when m.Path.StartsWith('/') => WrittenData, _ => Other }, m.AnonymousKiB);
                continue;
            }

            var (first, last) = (i, i);
            while (first > 0 && mappings[first - 1].Path.Length == 0 && mappings[first - 1].End == mappings[first].Start)
            {
                first--;
            }

            while (last + 1 < mappings.Count && mappings[last + 1].Path.Length == 0 && mappings[last].End == mappings[last + 1].Start)
            {
                last++;
            }

            var (start, end) = (mappings[first].Start, mappings[last].End);
            var guarded = i > 0 && mappings[i - 1] is { Permissions: "---p", Path: "" } guard && guard.End == m.Start && guard.End - guard.Start == 4096;
            Add(
                end - start >= GiB ? GcHeap
                : guarded ? ThreadStacks
                : start % Arena == 0 && end - start == Arena ? NativeHeap
                : Other,
                m.AnonymousKiB);
        }

        return new SmapsBreakdown(totals);
    }

    public double Total => MiB.Values.Sum();

    public double Of(string part) => MiB.GetValueOrDefault(part);

    public override string ToString() =>
        string.Join(", ", MiB.OrderByDescending(p => p.Value).Select(p => $"{p.Key} {p.Value.ToString("0.00", CultureInfo.InvariantCulture)}"));
}
