using System.Globalization;
using GuestAgent.Memory.Model;

namespace GuestAgent.Memory.Iomem;

/// <summary>
/// Pure: finds virtio-mem devices in the text of <c>/proc/iomem</c>. The driver claims its device's whole region as a
/// resource named after the device (<c>virtioN</c>) and adds memory under it as <c>System RAM (virtio_mem)</c>, one
/// memory block at a time; nothing in sysfs tells these blocks from boot memory. Lines are <c>start-end : name</c>
/// (hexadecimal, end inclusive), two spaces of indent per level. Without CAP_SYS_ADMIN the kernel shows every address
/// as 0: that is reported, not guessed around.
/// </summary>
public static class IomemParser
{
    public const string VirtioMemRam = "System RAM (virtio_mem)";

    /// <param name="text">The file's text.</param>
    /// <param name="problem">Why regions may be missing (addresses hidden, lines unreadable); null when all is well.</param>
    public static IReadOnlyList<VirtioMemRegion> VirtioMemRegions(string text, out string? problem)
    {
        problem = null;
        var regions = new List<VirtioMemRegion>();
        (string Device, long Start, long Size, int Depth, long Added)? open = null;
        var hidden = false;
        foreach (var raw in text.Split('\n'))
        {
            if (raw.Length == 0)
            {
                continue;
            }

            var depth = (raw.Length - raw.TrimStart(' ').Length) / 2;
            if (!TryParse(raw.Trim(), out var start, out var end, out var name))
            {
                problem = $"an unreadable line in /proc/iomem: '{Shorten(raw.Trim())}'";
                continue;
            }

            if (open is { } o && depth <= o.Depth)
            {
                regions.Add(new VirtioMemRegion(o.Device, o.Start, o.Size, o.Added));
                open = null;
            }

            if (IsVirtioDevice(name))
            {
                if (start == 0 && end == 0)
                {
                    hidden = true;
                    continue;
                }

                open = (name, start, end - start + 1, depth, 0);
            }
            else if (open is { } parent && depth == parent.Depth + 1 && name == VirtioMemRam)
            {
                open = parent with { Added = parent.Added + (end - start + 1) };
            }
        }

        if (open is { } last)
        {
            regions.Add(new VirtioMemRegion(last.Device, last.Start, last.Size, last.Added));
        }

        if (hidden)
        {
            problem = "/proc/iomem shows no addresses to this process (it needs CAP_SYS_ADMIN): virtio-mem memory is not told apart from boot memory";
        }

        return regions;
    }

    private static bool IsVirtioDevice(string name) =>
        name.Length > "virtio".Length && name.StartsWith("virtio", StringComparison.Ordinal) && name.AsSpan("virtio".Length).IndexOfAnyExceptInRange('0', '9') < 0;

    private static bool TryParse(string line, out long start, out long end, out string name)
    {
        start = end = 0;
        name = "";
        var colon = line.IndexOf(" : ", StringComparison.Ordinal);
        var dash = line.IndexOf('-');
        if (colon < 0 || dash < 0 || dash > colon)
        {
            return false;
        }

        name = line[(colon + 3)..].Trim();
        return long.TryParse(line.AsSpan(0, dash), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out start)
            && long.TryParse(line.AsSpan(dash + 1, colon - dash - 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out end)
            && end >= start;
    }

    private static string Shorten(string line) => line.Length <= 80 ? line : line[..80] + "…";
}
