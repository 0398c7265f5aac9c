using GuestAgent.Memory.Model;
using GuestAgent.Memory.Operations;
using GuestAgent.Memory.Policy;
using GuestAgent.Memory.Readiness;

namespace GuestAgent.Memory.Agent;

/// <summary>What the agent knows at one moment: the model, readiness per DIMM, the policy, and the last outcome per block.</summary>
public sealed record MemoryAgentView(
    MemorySnapshot Snapshot,
    OnlinePolicy Policy,
    IReadOnlyDictionary<string, DimmReadiness> Readiness,
    IReadOnlyDictionary<int, BlockOutcome> LastOutcomes);
