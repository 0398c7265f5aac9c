namespace GuestAgent.Channels;

/// <summary>One connected peer: a byte stream and what to call it in logs.</summary>
public sealed record ChannelConnection(Stream Stream, string Peer) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Stream.DisposeAsync();
}
