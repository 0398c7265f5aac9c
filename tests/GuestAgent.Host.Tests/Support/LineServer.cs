using System.Net.Sockets;
using System.Text;
using GuestAgent.TestSupport;

namespace GuestAgent.Host.Tests.Support;

/// <summary>A unix-socket server in a temporary folder that serves one line-oriented client at a time, as QEMU's chardev sockets do.</summary>
public abstract class LineServer : IAsyncDisposable
{
    private readonly TemporaryDirectory _dir = new();
    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;
    private readonly SemaphoreSlim _write = new(1, 1);
    private NetworkStream? _client;
    private Socket? _clientSocket;

    protected LineServer(string name)
    {
        Path = System.IO.Path.Combine(_dir.Path, name);
        _listener.Bind(new UnixDomainSocketEndPoint(Path));
        _listener.Listen(4);
        _serving = ServeAsync();
    }

    public string Path { get; }

    public int Connections { get; private set; }

    /// <summary>Sends one line (or raw bytes) to the connected client.</summary>
    public async Task SendAsync(string line)
    {
        var stream = _client ?? throw new InvalidOperationException("no client");
        await _write.WaitAsync();
        try
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"));
        }
        finally
        {
            _write.Release();
        }
    }

    protected abstract Task OnConnectedAsync();

    protected abstract Task OnLineAsync(string line);

    private async Task ServeAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                using var socket = await _listener.AcceptAsync(_stop.Token);
                await using var stream = new NetworkStream(socket, ownsSocket: false);
                _clientSocket = socket;
                _client = stream;
                Connections++;
                await OnConnectedAsync();
                using var reader = new StreamReader(stream, Encoding.UTF8);
                try
                {
                    while (await reader.ReadLineAsync(_stop.Token) is { } line)
                    {
                        var text = line.TrimStart('\uFFFD', '\u00FF');
                        if (text.Length > 0)
                        {
                            await OnLineAsync(text);
                        }
                    }
                }
                catch (IOException)
                {
                    // The client went away.
                }

                _client = null;
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    /// <summary>As the process behind the socket being killed: the client's connection closes and nothing listens any more.</summary>
    public void Kill()
    {
        _stop.Cancel();
        _listener.Dispose();
        try
        {
            _clientSocket?.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        try
        {
            await _serving;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            // Closed.
        }

        _stop.Dispose();
        _write.Dispose();
        _dir.Dispose();
        GC.SuppressFinalize(this);
    }
}
