namespace GuestAgent.Protocol.Payloads;

public sealed record ReadinessEventData
{
    public required string Dimm { get; init; }

    public int? Slot { get; init; }

    public required string Readiness { get; init; }

    public required string Reason { get; init; }
}
