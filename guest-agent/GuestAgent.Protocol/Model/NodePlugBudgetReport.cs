namespace GuestAgent.Protocol.Model;

/// <summary>The plug budget of one NUMA node.</summary>
public sealed record NodePlugBudgetReport
{
    public required int Node { get; init; }

    /// <summary>Left out when nothing the agent can see limits it.</summary>
    public long? Bytes { get; init; }

    public required string Reason { get; init; }
}
