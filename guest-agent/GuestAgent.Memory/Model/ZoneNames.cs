namespace GuestAgent.Memory.Model;

/// <summary>Zone names as <c>valid_zones</c> prints them, and which of them are kernel zones.</summary>
public static class ZoneNames
{
    public const string Movable = "Movable";
    public const string Normal = "Normal";
    public const string Dma = "DMA";
    public const string Dma32 = "DMA32";

    /// <summary><c>valid_zones</c> of an online block that spans several zones (it cannot be offlined).</summary>
    public const string None = "none";

    /// <summary>The zone a plain <c>online</c> puts memory in, and every zone but Movable: what the kernel can allocate from.</summary>
    public static bool IsKernelZone(string zone) => !string.Equals(zone, Movable, StringComparison.Ordinal);

    /// <summary>Returns the shared instance for known names so 65,536 blocks do not hold 65,536 copies.</summary>
    public static string Intern(string zone) => zone switch
    {
        Movable => Movable,
        Normal => Normal,
        Dma => Dma,
        Dma32 => Dma32,
        None => None,
        _ => zone,
    };
}
