using System.Text;

namespace GuestAgent.Memory.Uevents;

/// <summary>
/// Pure parser of kernel uevent datagrams: <c>ACTION@DEVPATH\0KEY=VALUE\0…</c>. Messages from udev (<c>libudev\0…</c>)
/// and anything malformed give null.
/// </summary>
public static class UeventParser
{
    public static Uevent? Parse(ReadOnlySpan<byte> datagram)
    {
        var headerEnd = datagram.IndexOf((byte)0);
        var header = headerEnd < 0 ? datagram : datagram[..headerEnd];
        var at = header.IndexOf((byte)'@');
        if (at <= 0 || at == header.Length - 1)
        {
            return null;
        }

        var action = Encoding.UTF8.GetString(header[..at]);
        var devPath = Encoding.UTF8.GetString(header[(at + 1)..]);
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        var rest = headerEnd < 0 ? ReadOnlySpan<byte>.Empty : datagram[(headerEnd + 1)..];
        while (!rest.IsEmpty)
        {
            var end = rest.IndexOf((byte)0);
            var field = end < 0 ? rest : rest[..end];
            var eq = field.IndexOf((byte)'=');
            if (eq > 0)
            {
                properties[Encoding.UTF8.GetString(field[..eq])] = Encoding.UTF8.GetString(field[(eq + 1)..]);
            }

            rest = end < 0 ? ReadOnlySpan<byte>.Empty : rest[(end + 1)..];
        }

        if (properties.TryGetValue("ACTION", out var declared) && declared != action)
        {
            return null;
        }

        return new Uevent(action, devPath, properties);
    }
}
