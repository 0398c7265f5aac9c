using System.Globalization;

namespace GuestAgent.Memory.Sysfs;

/// <summary>Names of memory block directories: <c>memoryN</c>, N decimal.</summary>
public static class MemoryBlockName
{
    public const string Prefix = "memory";

    public static string Format(int blockId) => Prefix + blockId.ToString(CultureInfo.InvariantCulture);

    /// <summary>Parses <c>memoryN</c> (a bare name, or the last component of a path or link target).</summary>
    public static bool TryParse(ReadOnlySpan<char> nameOrPath, out int blockId)
    {
        blockId = -1;
        var slash = nameOrPath.LastIndexOf('/');
        var name = slash >= 0 ? nameOrPath[(slash + 1)..] : nameOrPath;
        if (!name.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var digits = name[Prefix.Length..];
        if (digits.Length == 0 || digits.Length > 9)
        {
            return false;
        }

        foreach (var c in digits)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        blockId = int.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
        return true;
    }
}
