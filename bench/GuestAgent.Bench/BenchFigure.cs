namespace GuestAgent.Bench;

/// <summary>One printed figure: what was measured, its value, the target, and a peer's value measured in the same run where there is one.</summary>
public sealed record BenchFigure(string Name, double Value, string Unit, string Target, bool MeetsTarget, double? Peer = null, string? PeerName = null)
{
    public double? Ratio => Peer is > 0 ? Value / Peer : null;
}
