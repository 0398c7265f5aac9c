namespace GuestAgent.Protocol.Model;

/// <summary>How much more memory the guest can take now and still give back (docs/model.md, "Plug budget").</summary>
public sealed record PlugBudgetReport
{
    /// <summary>For a DIMM on node 0 (or anywhere without a NUMA-aware policy); left out when nothing the agent can see limits it.</summary>
    public long? Bytes { get; init; }

    public required string Reason { get; init; }

    /// <summary>Per node, with a NUMA-aware policy on a guest with several nodes.</summary>
    public IReadOnlyList<NodePlugBudgetReport> Nodes { get; init; } = [];
}
