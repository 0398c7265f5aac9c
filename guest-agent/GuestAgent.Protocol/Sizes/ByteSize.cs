using System.Globalization;

namespace GuestAgent.Protocol.Sizes;

/// <summary>
/// Memory sizes as people write them for VMs: <c>512M</c>, <c>1G</c>, <c>1.5GiB</c>, <c>1408MiB</c>, <c>268435456B</c>.
/// Units are binary whatever their spelling (QEMU's <c>-m</c> convention: <c>M</c> is MiB); a bare number is MiB, as for
/// <c>-m</c>.
/// </summary>
public static class ByteSize
{
    public const long KiB = 1L << 10;
    public const long MiB = 1L << 20;
    public const long GiB = 1L << 30;
    public const long TiB = 1L << 40;

    private const string Example = "e.g. 512M, 1G, 1.5GiB";

    /// <summary>Parses a positive size; anything else throws <see cref="FormatException"/> with a message for a person.</summary>
    public static long Parse(string? text)
    {
        var s = (text ?? "").Trim();
        if (s.Length == 0)
        {
            throw new FormatException($"a size is required ({Example})");
        }

        if (s[0] is '-' or '+')
        {
            throw new FormatException(s[0] == '-' ? $"'{s}': a size cannot be negative" : $"'{s}' is not a size ({Example})");
        }

        var end = 0;
        while (end < s.Length && (char.IsAsciiDigit(s[end]) || s[end] == '.'))
        {
            end++;
        }

        var number = s[..end];
        var unit = s[end..].Trim();
        if (number.Length == 0 || !decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            throw new FormatException($"'{s}' is not a size ({Example})");
        }

        long multiplier = unit.ToUpperInvariant() switch
        {
            "B" => 1,
            "K" or "KB" or "KIB" => KiB,
            "" or "M" or "MB" or "MIB" => MiB,
            "G" or "GB" or "GIB" => GiB,
            "T" or "TB" or "TIB" => TiB,
            _ => throw new FormatException($"'{s}': unknown unit '{unit}' (B, K, M, G or T, all binary: {Example})"),
        };

        decimal bytes;
        try
        {
            bytes = value * multiplier;
        }
        catch (OverflowException)
        {
            throw new FormatException($"'{s}' is too large");
        }

        if (bytes > long.MaxValue)
        {
            throw new FormatException($"'{s}' is too large");
        }

        if (bytes != decimal.Truncate(bytes))
        {
            throw new FormatException($"'{s}' is not a whole number of bytes");
        }

        if (bytes == 0)
        {
            throw new FormatException($"'{s}': a size must be larger than zero");
        }

        return (long)bytes;
    }

    /// <summary>
    /// "1 GiB", "1408 MiB" → the largest unit that divides evenly; other sizes in MiB (or KiB below 1 MiB) with up to two
    /// decimals ("741.01 MiB"), never a raw count of bytes past 1 KiB.
    /// </summary>
    public static string Format(long bytes)
    {
        if (bytes != 0 && bytes % GiB == 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{bytes / GiB} GiB");
        }

        if (bytes != 0 && bytes % MiB == 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{bytes / MiB} MiB");
        }

        return Math.Abs(bytes) switch
        {
            >= MiB => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)MiB:0.##} MiB"),
            >= KiB => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)KiB:0.##} KiB"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        };
    }

    /// <summary>
    /// A size rounded for reading, as the capacity figures are estimates: "620 MiB" below 1 GiB (whole MiB, rounded
    /// down), "1.5 GiB" from there (one decimal); negative sizes keep their sign.
    /// </summary>
    public static string Approximate(long bytes)
    {
        var sign = bytes < 0 ? "-" : "";
        var magnitude = bytes == long.MinValue ? long.MaxValue : Math.Abs(bytes);
        return magnitude < GiB
            ? string.Create(CultureInfo.InvariantCulture, $"{sign}{magnitude / MiB} MiB")
            : string.Create(CultureInfo.InvariantCulture, $"{sign}{Math.Floor(magnitude * 10.0 / GiB) / 10:0.#} GiB");
    }

    /// <summary>"0x100000000" as QEMU and the kernel print addresses.</summary>
    public static string Address(long address) => string.Create(CultureInfo.InvariantCulture, $"0x{address:x}");
}
