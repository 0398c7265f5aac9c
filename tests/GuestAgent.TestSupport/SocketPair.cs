using System.Net.Sockets;

namespace GuestAgent.TestSupport;

/// <summary>Two connected unix stream sockets (a paired stream): one end for the code under test, one for the test.</summary>
public sealed class SocketPair : IDisposable
{
    private readonly TemporaryDirectory _dir = new();

    private SocketPair(NetworkStream server, NetworkStream client)
    {
        Server = server;
        Client = client;
    }

    public NetworkStream Server { get; }

    public NetworkStream Client { get; }

    public static async Task<SocketPair> CreateAsync()
    {
        var dir = new TemporaryDirectory();
        var path = Path.Combine(dir.Path, "pair.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await client.ConnectAsync(new UnixDomainSocketEndPoint(path));
        var server = await listener.AcceptAsync();
        dir.Dispose();
        return new SocketPair(new NetworkStream(server, ownsSocket: true), new NetworkStream(client, ownsSocket: true));
    }

    public void Dispose()
    {
        Server.Dispose();
        Client.Dispose();
        _dir.Dispose();
    }
}
