using System.Runtime.InteropServices;
using System.Text;

namespace GuestAgent.DBus;

/// <summary>Writes and reads sd-bus messages one value at a time; every failure throws <see cref="DBusException"/>.</summary>
internal static unsafe class BusMessage
{
    public static void Check(int result, string call)
    {
        if (result < 0)
        {
            throw new DBusException(call, result);
        }
    }

    public static string? Text(nint utf8) => utf8 == 0 ? null : Marshal.PtrToStringUTF8(utf8);

    public static void String(nint message, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value + "\0");
        fixed (byte* p = bytes)
        {
            Check(SdBusNative.sd_bus_message_append_basic(message, (byte)'s', p), "append string");
        }
    }

    public static void ObjectPath(nint message, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value + "\0");
        fixed (byte* p = bytes)
        {
            Check(SdBusNative.sd_bus_message_append_basic(message, (byte)'o', p), "append object path");
        }
    }

    public static void Int32(nint message, int value) => Check(SdBusNative.sd_bus_message_append_basic(message, (byte)'i', &value), "append int32");

    public static void UInt64(nint message, ulong value) => Check(SdBusNative.sd_bus_message_append_basic(message, (byte)'t', &value), "append uint64");

    public static void Boolean(nint message, bool value)
    {
        var b = value ? 1 : 0;
        Check(SdBusNative.sd_bus_message_append_basic(message, (byte)'b', &b), "append boolean");
    }

    public static void Open(nint message, char type, string contents) =>
        Check(SdBusNative.sd_bus_message_open_container(message, (byte)type, contents), $"open container {type}{contents}");

    public static void Close(nint message) => Check(SdBusNative.sd_bus_message_close_container(message), "close container");

    public static void Strings(nint message, IEnumerable<string> values)
    {
        Open(message, 'a', "s");
        foreach (var value in values)
        {
            String(message, value);
        }

        Close(message);
    }

    public static string ReadString(nint message)
    {
        nint value = 0;
        Check(SdBusNative.sd_bus_message_read_basic(message, (byte)'s', &value), "read string");
        return Text(value) ?? "";
    }

    public static uint ReadUInt32(nint message)
    {
        uint value = 0;
        Check(SdBusNative.sd_bus_message_read_basic(message, (byte)'u', &value), "read uint32");
        return value;
    }

    /// <summary>The signature of a message's body, e.g. "u" or "ss".</summary>
    public static string Signature(nint message) => Text(SdBusNative.sd_bus_message_get_signature(message, 1)) ?? "";
}
