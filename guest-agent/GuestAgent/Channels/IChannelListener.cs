namespace GuestAgent.Channels;

/// <summary>
/// The byte-stream seam under the line protocol: a virtio-serial port (one host at a time, again after each
/// reconnect), a unix socket (many clients). Each connection is served by a <see cref="ProtocolSession"/>.
/// </summary>
public interface IChannelListener : IAsyncDisposable
{
    string Name { get; }

    /// <summary>At most this many connections are served at once (virtio-serial: 1); a listener waits for one to end before yielding another.</summary>
    int MaxConcurrentConnections { get; }

    IAsyncEnumerable<ChannelConnection> AcceptAsync(CancellationToken cancellationToken);
}
