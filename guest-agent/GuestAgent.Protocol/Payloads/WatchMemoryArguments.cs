namespace GuestAgent.Protocol.Payloads;

/// <summary><c>watch-memory</c>: how often this connection wants <c>MEMORY_STATUS</c>, in milliseconds (0 stops it).</summary>
[System.Text.Json.Serialization.JsonUnmappedMemberHandling(System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow)]
public sealed record WatchMemoryArguments
{
    public int? IntervalMs { get; init; }
}
