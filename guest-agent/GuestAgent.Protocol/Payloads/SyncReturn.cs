namespace GuestAgent.Protocol.Payloads;

public sealed record SyncReturn
{
    public required long Id { get; init; }
}
