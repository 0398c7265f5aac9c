namespace GuestAgent.Protocol;

/// <summary>The protocol's version and documented limits (docs/protocol.md).</summary>
public static class ProtocolLimits
{
    /// <summary>The protocol version this library speaks. A peer with another version is refused at hello.</summary>
    public const int Version = 1;

    /// <summary>The longest request line the agent accepts, in bytes including the newline.</summary>
    public const int MaxRequestLineBytes = 64 * 1024;

    /// <summary>The longest line a host accepts from the agent (a model of 65,536 blocks is a few MiB).</summary>
    public const int MaxReplyLineBytes = 64 * 1024 * 1024;

    /// <summary>Requests one connection may have in progress at once; more get a <c>Busy</c> error.</summary>
    public const int MaxInFlightRequests = 8;

    /// <summary>
    /// A byte that never occurs in UTF-8 JSON. Sent by either side it discards any partial line (the resync of
    /// qemu-guest-agent's guest-sync-delimited); the agent sends it before its reply to <c>sync-delimited</c>.
    /// </summary>
    public const byte Sentinel = 0xFF;
}
