using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace GuestAgent.Bench;

/// <summary>One JSON request line, one reply line, over a unix socket (qemu-ga's and the agent's protocols alike).</summary>
public sealed class LineClient : IDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly StreamReader _reader;

    private LineClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
        _reader = new StreamReader(_stream, Encoding.UTF8, false, 1 << 20);
    }

    /// <summary>Connects once the server listens (up to <paramref name="limit"/>).</summary>
    public static async Task<LineClient> ConnectAsync(string path, TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
                return new LineClient(socket);
            }
            catch (SocketException) when (watch.Elapsed < limit)
            {
                socket.Dispose();
                await Task.Delay(50);
            }
        }
    }

    /// <summary>Sends <paramref name="request"/> and reads lines until one is not an event; returns its length in bytes.</summary>
    public async Task<int> RequestAsync(string request)
    {
        await _stream.WriteAsync(Encoding.UTF8.GetBytes(request + "\n"));
        while (true)
        {
            var line = await _reader.ReadLineAsync() ?? throw new IOException("the server closed the connection");
            if (!line.StartsWith("{\"event\"", StringComparison.Ordinal) && line.Length > 0)
            {
                return line.Length;
            }
        }
    }

    public void Dispose()
    {
        _reader.Dispose();
        _socket.Dispose();
    }
}
