using System.Text;

namespace GuestAgent.Memory.Sysfs;

/// <summary>
/// Shares one string instance for the attribute texts that repeat on every block (<c>online</c>, <c>Movable</c>, …),
/// so a 65,536-block model does not hold hundreds of thousands of identical strings. Immutable.
/// </summary>
internal static class KnownText
{
    private static readonly string[] Texts =
    [
        "online", "offline", "going-offline", "Movable", "Normal", "DMA", "DMA32", "none", "Normal Movable", "DMA32 Normal Movable",
        "0", "1", "Y", "N",
    ];

    private static readonly byte[][] Bytes = Texts.Select(Encoding.UTF8.GetBytes).ToArray();

    public static string Get(ReadOnlySpan<byte> text)
    {
        for (var i = 0; i < Bytes.Length; i++)
        {
            if (text.SequenceEqual(Bytes[i]))
            {
                return Texts[i];
            }
        }

        return Encoding.UTF8.GetString(text);
    }
}
