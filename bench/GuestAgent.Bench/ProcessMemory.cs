using System.Globalization;

namespace GuestAgent.Bench;

/// <summary>Resident memory of this process from <c>/proc/self/status</c>.</summary>
public static class ProcessMemory
{
    public static double ResidentMiB() => Read("VmRSS:");

    public static double PeakResidentMiB() => Read("VmHWM:");

    private static double Read(string key)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(key, StringComparison.Ordinal))
            {
                var kib = long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                return kib / 1024.0;
            }
        }

        return double.NaN;
    }
}
