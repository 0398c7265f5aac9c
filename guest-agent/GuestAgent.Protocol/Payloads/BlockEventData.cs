namespace GuestAgent.Protocol.Payloads;

public sealed record BlockEventData
{
    public required string Block { get; init; }

    public string? Zone { get; init; }
}
