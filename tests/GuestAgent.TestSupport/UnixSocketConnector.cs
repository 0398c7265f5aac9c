using System.Diagnostics;
using System.Net.Sockets;

namespace GuestAgent.TestSupport;

/// <summary>
/// Connects to a unix socket that a freshly started process serves: its file appears when the process binds, a moment
/// before it listens, so "connection refused" (or a missing file) is retried until the limit.
/// </summary>
public static class UnixSocketConnector
{
    public static async Task<Socket> ConnectAsync(string path, TimeSpan? limit = null)
    {
        var watch = Stopwatch.StartNew();
        var max = limit ?? TimeSpan.FromSeconds(30);
        while (true)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
                return socket;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.AddressNotAvailable && watch.Elapsed < max)
            {
                socket.Dispose();
                await Task.Delay(50);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
    }
}
