using GuestAgent.Memory.Capacity;
using GuestAgent.Memory.Model;
using GuestAgent.Memory.Operations;
using GuestAgent.Memory.Policy;
using GuestAgent.Memory.Readiness;

namespace GuestAgent.Memory.Agent;

/// <summary>
/// What the agent knows at one moment: the model, readiness per DIMM, the policy, the guest's memory accounting with
/// the plug budget and unplug hazards it implies, the last outcome per block, and what it recovered at start.
/// </summary>
public sealed record MemoryAgentView
{
    public required MemorySnapshot Snapshot { get; init; }

    public required OnlinePolicy Policy { get; init; }

    public required IReadOnlyDictionary<string, DimmReadiness> Readiness { get; init; }

    public required CapacitySample Capacity { get; init; }

    /// <summary><c>Memory:UnplugReserve</c> in bytes.</summary>
    public required long ReserveBytes { get; init; }

    public required PlugBudget PlugBudget { get; init; }

    public IReadOnlyList<UnplugHazard> Hazards { get; init; } = [];

    public IReadOnlyDictionary<int, BlockOutcome> LastOutcomes { get; init; } = new Dictionary<int, BlockOutcome>();

    public IReadOnlyList<AgentRecovery> Recoveries { get; init; } = [];

    /// <summary>How much online DIMM memory the guest can give up now (a set of DIMMs fits when their online bytes add up to at most this); null when unknown.</summary>
    public long? UnplugHeadroom => UnplugCapacity.Headroom(Capacity, ReserveBytes);
}
