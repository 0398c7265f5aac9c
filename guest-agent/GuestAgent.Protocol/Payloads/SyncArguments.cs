namespace GuestAgent.Protocol.Payloads;

/// <summary><c>sync-delimited</c>: a number the agent returns after a 0xFF byte, so the host can find the reply after junk.</summary>
[System.Text.Json.Serialization.JsonUnmappedMemberHandling(System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow)]
public sealed record SyncArguments
{
    public long? Id { get; init; }
}
