using GuestAgent.Memory.Capacity;
using GuestAgent.Memory.Model;
using GuestAgent.Memory.Policy;
using GuestAgent.Memory.Readiness;
using GuestAgent.Memory.Udev;

namespace GuestAgent.Memory.Agent;

/// <summary>
/// Pure: the one place a view is computed from what was read: readiness of every DIMM (zones, capacity, what the
/// agent is doing), the plug budget and the unplug hazards. The running agent and a one-shot <c>scan</c> both use it.
/// </summary>
public static class AgentViewBuilder
{
    public static MemoryAgentView Build(
        MemorySnapshot snapshot,
        OnlinePolicy policy,
        CapacitySample capacity,
        long reserveBytes,
        OperationBook? book = null,
        IReadOnlyList<UdevRule>? rules = null,
        string? autoOnlineSetByAgent = null)
    {
        var context = new ReadinessContext
        {
            Capacity = capacity,
            ReserveBytes = reserveBytes,
            Busy = book?.BusyReasons() ?? new Dictionary<string, string>(),
            OnlinedBy = book?.OnlinedBy() ?? new Dictionary<string, string>(),
            FoundBy = book?.FoundBy() ?? new Dictionary<string, string>(),
        };
        var readiness = new Dictionary<string, DimmReadiness>(snapshot.Dimms.Count, StringComparer.Ordinal);
        foreach (var dimm in snapshot.Dimms)
        {
            readiness[dimm.Id] = ReadinessEvaluator.Evaluate(snapshot, dimm, context);
        }

        return new MemoryAgentView
        {
            Snapshot = snapshot,
            Policy = policy,
            Readiness = readiness,
            Capacity = capacity,
            ReserveBytes = reserveBytes,
            PlugBudget = PlugBudgetEvaluator.Evaluate(snapshot, capacity, policy, reserveBytes),
            Hazards = UnplugHazardEvaluator.Evaluate(snapshot, capacity, rules ?? [], autoOnlineSetByAgent),
            LastOutcomes = book?.LastOutcomes() ?? new Dictionary<int, Operations.BlockOutcome>(),
            Recoveries = book?.Recoveries() ?? [],
        };
    }
}
