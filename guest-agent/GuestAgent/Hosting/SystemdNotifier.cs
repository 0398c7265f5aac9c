using System.Net.Sockets;
using System.Text;

namespace GuestAgent.Hosting;

/// <summary>
/// sd_notify over the datagram socket named by <c>NOTIFY_SOCKET</c> (a path, or <c>@name</c> in the abstract
/// namespace). Outside systemd there is no such variable and it does nothing. A failed send is not fatal: systemd
/// may have gone away while the agent stops.
/// </summary>
public sealed class SystemdNotifier : ISystemdNotifier
{
    private readonly string? _socketPath;

    public SystemdNotifier()
        : this(Environment.GetEnvironmentVariable("NOTIFY_SOCKET"))
    {
    }

    /// <summary>For tests: notify this socket path (null or empty: disabled).</summary>
    public SystemdNotifier(string? socketPath) => _socketPath = string.IsNullOrEmpty(socketPath) ? null : socketPath;

    public bool IsEnabled => _socketPath is not null;

    public void Notify(ServiceState state)
    {
        if (_socketPath is null)
        {
            return;
        }

        var path = _socketPath[0] == '@' ? "\0" + _socketPath[1..] : _socketPath;
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.SendTo(Encoding.UTF8.GetBytes(state.Text), new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException)
        {
            // systemd is not listening (any more): nothing to tell.
        }
    }
}
