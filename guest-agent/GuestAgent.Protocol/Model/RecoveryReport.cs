namespace GuestAgent.Protocol.Model;

/// <summary>What the agent put right at start that an earlier agent left half done (a DIMM left offline).</summary>
public sealed record RecoveryReport
{
    public required string Dimm { get; init; }

    public required string Message { get; init; }

    public required DateTimeOffset At { get; init; }
}
