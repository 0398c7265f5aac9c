using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;

namespace GuestAgent.TestSupport;

/// <summary>A real datagram socket standing where systemd's notification socket would be; keeps every message.</summary>
public sealed class NotifySocket : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly TemporaryDirectory? _dir;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _receiving;

    /// <param name="abstractName">Bind in the abstract namespace under this name instead of a path.</param>
    public NotifySocket(string? abstractName = null)
    {
        if (abstractName is null)
        {
            _dir = new TemporaryDirectory();
            Address = Path.Combine(_dir.Path, "notify.sock");
            _socket.Bind(new UnixDomainSocketEndPoint(Address));
        }
        else
        {
            Address = "@" + abstractName;
            _socket.Bind(new UnixDomainSocketEndPoint("\0" + abstractName));
        }

        _receiving = ReceiveAsync();
    }

    /// <summary>What to put in NOTIFY_SOCKET.</summary>
    public string Address { get; }

    public ConcurrentQueue<string> Messages { get; } = new();

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        try
        {
            _receiving.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // Closed.
        }

        _dir?.Dispose();
        _stop.Dispose();
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var n = await _socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                Messages.Enqueue(Encoding.UTF8.GetString(buffer, 0, n));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Closed.
        }
    }
}
