namespace GuestAgent.Protocol.Payloads;

/// <summary>PSI for memory over the last 10 s, in percent of time: some task stalled ("some"), every task stalled ("full").</summary>
public sealed record MemoryPressureReport
{
    public required double SomeAvg10 { get; init; }

    public required double FullAvg10 { get; init; }
}
