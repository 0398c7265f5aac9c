using GuestAgent.Memory.Operations;
using GuestAgent.Memory.Readiness;

namespace GuestAgent.Memory.Agent;

/// <summary>A change the agent observed or made.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Subject">The block (<c>memoryN</c>), DIMM id, or <c>policy</c>.</param>
public sealed record AgentEvent(AgentEventKind Kind, string Subject)
{
    /// <summary>For block events: the block's zone after the change, where known.</summary>
    public string? Zone { get; init; }

    /// <summary>For readiness changes: the new readiness.</summary>
    public DimmReadiness? Readiness { get; init; }

    /// <summary>For finished operations: the result.</summary>
    public DimmOperationResult? Operation { get; init; }
}
