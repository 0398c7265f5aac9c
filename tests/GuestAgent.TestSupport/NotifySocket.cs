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

    private TaskCompletionSource? _marker;

    /// <summary>
    /// Sends a marker of its own and waits until it is received: datagrams on a unix socket arrive in the order they
    /// were sent, so every message sent before this call is in <see cref="Messages"/> when it returns.
    /// </summary>
    public async Task FlushAsync()
    {
        var marker = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _marker, marker);
        using var client = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        var endPoint = Address.StartsWith('@') ? new UnixDomainSocketEndPoint("\0" + Address[1..]) : new UnixDomainSocketEndPoint(Address);
        await client.SendToAsync(Encoding.UTF8.GetBytes(FlushMarker), SocketFlags.None, endPoint);
        await marker.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private const string FlushMarker = "X-TEST-FLUSH=1";

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
                var message = Encoding.UTF8.GetString(buffer, 0, n);
                if (message == FlushMarker)
                {
                    Volatile.Read(ref _marker)?.TrySetResult();
                    continue;
                }

                Messages.Enqueue(message);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Closed.
        }
    }
}
