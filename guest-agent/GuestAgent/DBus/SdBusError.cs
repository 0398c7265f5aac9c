using System.Runtime.InteropServices;

namespace GuestAgent.DBus;

/// <summary>sd-bus's <c>sd_bus_error</c>: a D-Bus error name and message (both UTF-8, owned by the caller here).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SdBusError
{
    public nint Name;
    public nint Message;
    public int NeedFree;
}
