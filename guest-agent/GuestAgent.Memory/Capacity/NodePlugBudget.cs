namespace GuestAgent.Memory.Capacity;

/// <summary>The plug budget of one NUMA node (with a NUMA-aware policy): how much more a DIMM on it may bring.</summary>
/// <param name="Bytes">A multiple of the block size; null when nothing the agent can see limits it.</param>
public sealed record NodePlugBudget(int Node, long? Bytes, string Reason);
