namespace GuestAgent.Protocol.Payloads;

public sealed record AgentStoppingData
{
    public required string Reason { get; init; }
}
