using GuestAgent.Memory.Capacity;

namespace GuestAgent.Memory.Readiness;

/// <summary>
/// What readiness depends on besides the blocks' zones: the guest's memory accounting and the reserve that must stay
/// available, the DIMMs the agent is working on, and why the agent put a DIMM where it is.
/// </summary>
public sealed record ReadinessContext
{
    public required CapacitySample Capacity { get; init; }

    /// <summary><c>Memory:UnplugReserve</c> in bytes.</summary>
    public required long ReserveBytes { get; init; }

    /// <summary>DIMM id → what the agent is doing with it (preparing or cancelling an unplug).</summary>
    public IReadOnlyDictionary<string, string> Busy { get; init; } = new Dictionary<string, string>();

    /// <summary>DIMM id → the reason the agent onlined it into the zone it is in (the planner's reason).</summary>
    public IReadOnlyDictionary<string, string> OnlinedBy { get; init; } = new Dictionary<string, string>();

    /// <summary>DIMM id → how it came to be in a kernel zone before the agent started (see <c>OperationBook.RecordFound</c>).</summary>
    public IReadOnlyDictionary<string, string> FoundBy { get; init; } = new Dictionary<string, string>();
}
