using System.Globalization;

namespace GuestAgent.Memory.Capacity;

/// <summary>Pure: parses <c>/proc/meminfo</c> ("Name:   12345 kB" per line). Lines it does not understand are skipped.</summary>
public static class MeminfoParser
{
    public static Meminfo Parse(string text)
    {
        var raw = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            var fields = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 1 && long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                raw[line[..colon].Trim()] = value;
            }
        }

        long? Kib(string name) => raw.TryGetValue(name, out var v) ? v * 1024 : null;
        long? Count(string name) => raw.TryGetValue(name, out var v) ? v : null;
        var active = Kib("Active(file)");
        var inactive = Kib("Inactive(file)");
        return new Meminfo
        {
            TotalBytes = Kib("MemTotal"),
            FreeBytes = Kib("MemFree"),
            AvailableBytes = Kib("MemAvailable"),
            ShmemBytes = Kib("Shmem"),
            FileCacheBytes = active is null || inactive is null ? null : active + inactive,
            HugePagesTotal = Count("HugePages_Total"),
            HugePagesFree = Count("HugePages_Free"),
            HugePageSizeBytes = Kib("Hugepagesize"),
            Raw = raw,
        };
    }
}
