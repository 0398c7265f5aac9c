using System.Runtime.InteropServices;

namespace GuestAgent.Memory.Native;

/// <summary><c>struct sockaddr_nl</c>: a netlink socket address.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SockaddrNl
{
    public ushort Family;
    public ushort Pad;
    public uint Pid;
    public uint Groups;
}
