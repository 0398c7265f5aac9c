using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GuestAgent.Memory.Uevents;

/// <summary>
/// Kernel uevents from a NETLINK_KOBJECT_UEVENT socket bound to the kernel's multicast group (no udev needed). The
/// socket is made with libc (.NET has no netlink address family) and then served by .NET's socket engine, so waiting
/// costs nothing. Its receive buffer is made large (a DIMM of many blocks sends a burst); when the kernel still drops
/// events it reports ENOBUFS, which becomes <see cref="Uevent.Overflow"/> so the agent rescans.
/// </summary>
public sealed class NetlinkUeventSource : IUeventSource, IDisposable
{
    private const int AfNetlink = 16;
    private const int SockRaw = 3;
    private const int SockCloexec = 0x80000;
    private const int NetlinkKobjectUevent = 15;
    private const int SolSocket = 1;
    private const int SoRcvbuf = 8;
    private const int SoRcvbufforce = 33;
    private const uint KernelGroup = 1;

    private readonly Socket _socket;

    private NetlinkUeventSource(Socket socket) => _socket = socket;

    /// <summary>The receive buffer the kernel granted, in bytes.</summary>
    public int ReceiveBufferBytes => _socket.ReceiveBufferSize;

    /// <param name="receiveBufferBytes">Requested receive buffer (SO_RCVBUFFORCE as root, else capped by rmem_max).</param>
    public static NetlinkUeventSource Open(int receiveBufferBytes = 16 * 1024 * 1024)
    {
        var fd = Native.Libc.Socket(AfNetlink, SockRaw | SockCloexec, NetlinkKobjectUevent);
        if (fd < 0)
        {
            throw new IOException($"cannot open a netlink uevent socket: errno {Marshal.GetLastPInvokeError()}");
        }

        var address = new Native.SockaddrNl { Family = AfNetlink, Pid = 0, Groups = KernelGroup };
        if (Native.Libc.Bind(fd, ref address, Marshal.SizeOf<Native.SockaddrNl>()) < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            _ = Native.Libc.Close(fd);
            throw new IOException($"cannot bind the netlink uevent socket: errno {errno}");
        }

        var size = receiveBufferBytes;
        if (Native.Libc.SetSockOpt(fd, SolSocket, SoRcvbufforce, ref size, sizeof(int)) < 0)
        {
            _ = Native.Libc.SetSockOpt(fd, SolSocket, SoRcvbuf, ref size, sizeof(int));
        }

        return new NetlinkUeventSource(new Socket(new SafeSocketHandle(fd, ownsHandle: true)));
    }

    public async IAsyncEnumerable<Uevent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        while (!cancellationToken.IsCancellationRequested)
        {
            int received;
            var overflow = false;
            try
            {
                received = await _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.NoBufferSpaceAvailable)
            {
                received = 0;
                overflow = true;
            }
            catch (OperationCanceledException)
            {
                yield break;
            }

            if (overflow)
            {
                yield return Uevent.Overflow;
                continue;
            }

            if (UeventParser.Parse(buffer.AsSpan(0, received)) is { } uevent)
            {
                yield return uevent;
            }
        }
    }

    public void Dispose() => _socket.Dispose();
}
