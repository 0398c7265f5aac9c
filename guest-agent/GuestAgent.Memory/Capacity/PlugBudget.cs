namespace GuestAgent.Memory.Capacity;

/// <summary>
/// How much more memory the guest can take now and still give back: beyond it, new memory would land in the kernel
/// zone, or the kernel zone could not carry the new memory's memmap and the Movable memory's own needs.
/// </summary>
/// <param name="Bytes">For a DIMM on node 0 (or anywhere, without a NUMA-aware policy), a multiple of the block size;
/// null when nothing the agent can see limits it.</param>
/// <param name="Reason">What limits it, for a person.</param>
/// <param name="Nodes">Per node, with a NUMA-aware policy and more than one node; empty otherwise.</param>
public sealed record PlugBudget(long? Bytes, string Reason, IReadOnlyList<NodePlugBudget> Nodes)
{
    public long? BytesFor(int? node) => node is { } n && Nodes.FirstOrDefault(b => b.Node == n) is { } budget ? budget.Bytes : Bytes;
}
