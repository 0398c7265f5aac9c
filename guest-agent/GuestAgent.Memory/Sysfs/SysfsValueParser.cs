using System.Globalization;
using GuestAgent.Memory.Model;

namespace GuestAgent.Memory.Sysfs;

/// <summary>Pure parsers for the text of sysfs memory attributes. They never throw; unknown text gives null or Unknown.</summary>
public static class SysfsValueParser
{
    // The two answers nearly every hot-plugged block gives, shared (immutable) so large models do not repeat them.
    private static readonly IReadOnlyList<string> MovableOnly = Array.AsReadOnly([ZoneNames.Movable]);
    private static readonly IReadOnlyList<string> NormalThenMovable = Array.AsReadOnly([ZoneNames.Normal, ZoneNames.Movable]);

    /// <summary>Hex as sysfs prints it (<c>8000000</c>, <c>00000020</c>, also accepts a <c>0x</c> prefix).</summary>
    public static long? ParseHex(string? text)
    {
        var span = text.AsSpan().Trim();
        if (span.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            span = span[2..];
        }

        return span.Length is > 0 and <= 16
               && long.TryParse(span, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value)
               && value >= 0
            ? value
            : null;
    }

    /// <summary>
    /// An ACPI <c>uid</c>: QEMU's memory devices give it as a hex string (<c>0x01</c>, <c>0x0A</c>); other firmware as a
    /// decimal number. Null for anything else.
    /// </summary>
    public static int? ParseAcpiUid(string? text)
    {
        var span = text.AsSpan().Trim();
        return span.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ParseHex(text) is { } hex and <= int.MaxValue ? (int)hex : null
            : ParseDecimal(text) is { } value and >= 0 ? value : null;
    }

    public static int? ParseDecimal(string? text)
    {
        var span = text.AsSpan().Trim();
        return int.TryParse(span, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;
    }

    /// <summary><c>1</c>/<c>0</c>, also <c>Y</c>/<c>N</c> as module parameters print booleans.</summary>
    public static bool? ParseBool(string? text) => text.AsSpan().Trim() switch
    {
        "1" or "Y" or "y" => true,
        "0" or "N" or "n" => false,
        _ => null,
    };

    public static BlockState ParseState(string? text) => text.AsSpan().Trim() switch
    {
        "online" => BlockState.Online,
        "offline" => BlockState.Offline,
        "going-offline" => BlockState.GoingOffline,
        _ => BlockState.Unknown,
    };

    /// <summary>Whether a kernel prints <c>valid_zones</c> as <see cref="OnlineZone"/> reads it: 4.13 and later (an offline block's zones were reworked then; before, it could name one).</summary>
    public static bool ValidZonesTellOnlineApart(Version kernel) => kernel >= new Version(4, 13);

    /// <summary>
    /// The zone of an online block from its <c>valid_zones</c> alone, or null when the text does not say the block is
    /// online. The kernel's <c>valid_zones_show</c> (drivers/base/memory.c, 4.18 to 6.12) prints one zone only for a
    /// block in <c>MEM_ONLINE</c>; for any other state it prints the default zone, then each other zone the block may
    /// be onlined into (a kernel zone and Movable always differ, so at least two); "none" is an online block spanning
    /// zones (or, on older kernels, a block whose pages are in none), which this leaves to <c>state</c>.
    /// </summary>
    public static IReadOnlyList<string>? OnlineZone(string? text)
    {
        var trimmed = text.AsSpan().Trim();
        if (trimmed.IsEmpty || trimmed.IndexOfAny(' ', '\t') >= 0 || trimmed.SequenceEqual("none"))
        {
            return null;
        }

        return ParseZones(trimmed.ToString());
    }

    /// <summary>
    /// <c>valid_zones</c>: for an online block its zone (or <c>none</c> when it spans zones); for an offline block the
    /// default zone first, then the other allowed zones.
    /// </summary>
    public static IReadOnlyList<string> ParseZones(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }

        switch (text)
        {
            case "Movable":
                return MovableOnly;
            case "Normal Movable":
                return NormalThenMovable;
        }

        var parts = text.Split(' ', '\t', '\n');
        var zones = new List<string>(parts.Length);
        foreach (var part in parts)
        {
            if (part.Length > 0)
            {
                zones.Add(ZoneNames.Intern(part));
            }
        }

        return zones;
    }
}
