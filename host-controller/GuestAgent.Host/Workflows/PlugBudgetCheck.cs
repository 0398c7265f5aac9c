using GuestAgent.Protocol.Model;
using GuestAgent.Protocol.Sizes;

namespace GuestAgent.Host.Workflows;

/// <summary>
/// Pure: whether memory added to the guest (a DIMM, or a virtio-mem device grown) stays within the plug budget its
/// agent reports: how much more it can take and still give back (the Movable:kernel ratio, kernel memory for the new
/// memmap). Past it, a change needs <c>--force</c>.
/// </summary>
public static class PlugBudgetCheck
{
    /// <summary>Why <paramref name="size"/> more on <paramref name="node"/> is too much, or null when it fits (or no budget is reported).</summary>
    public static string? Exceeded(ModelReport model, long size, int? node)
    {
        var budget = model.PlugBudget;
        var forNode = node is { } n ? budget?.Nodes.FirstOrDefault(b => b.Node == n) : null;
        var bytes = forNode is null ? budget?.Bytes : forNode.Bytes;
        var reason = forNode?.Reason ?? budget?.Reason;
        return bytes is { } limit && size > limit
            ? $"the guest can take only {ByteSize.Format(limit)} more and still give it back ({reason})"
            : null;
    }
}
