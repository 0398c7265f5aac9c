namespace GuestAgent.Protocol.Payloads;

public sealed record PolicyReturn
{
    public required string Policy { get; init; }

    public required int AutoMovableRatio { get; init; }

    public required bool NumaAware { get; init; }
}
