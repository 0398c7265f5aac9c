namespace GuestAgent.Protocol.Payloads;

/// <summary><c>watch-memory</c>'s reply: the interval now in force on this connection (0: not watching).</summary>
public sealed record WatchMemoryReturn
{
    public required int IntervalMs { get; init; }
}
