using GuestAgent.Memory.Model;
using GuestAgent.Memory.Readiness;

namespace GuestAgent.Memory.Agent;

/// <summary>Pure: the block and readiness events between two snapshots.</summary>
public static class SnapshotDiff
{
    public static IReadOnlyList<AgentEvent> Compute(
        MemorySnapshot before,
        IReadOnlyDictionary<string, DimmReadiness> readinessBefore,
        MemorySnapshot after,
        IReadOnlyDictionary<string, DimmReadiness> readinessAfter)
    {
        var events = new List<AgentEvent>();
        var old = before.Blocks.ToDictionary(b => b.Id);
        foreach (var block in after.Blocks)
        {
            if (!old.Remove(block.Id, out var previous))
            {
                events.Add(new AgentEvent(AgentEventKind.BlockAdded, block.Name) { Zone = block.Zone });
                if (block.State == BlockState.Online)
                {
                    events.Add(new AgentEvent(AgentEventKind.BlockOnlined, block.Name) { Zone = block.Zone });
                }

                continue;
            }

            if (previous.State != BlockState.Online && block.State == BlockState.Online)
            {
                events.Add(new AgentEvent(AgentEventKind.BlockOnlined, block.Name) { Zone = block.Zone });
            }
            else if (previous.State != BlockState.Offline && block.State == BlockState.Offline)
            {
                events.Add(new AgentEvent(AgentEventKind.BlockOfflined, block.Name));
            }
        }

        foreach (var gone in old.Values.OrderBy(b => b.Id))
        {
            events.Add(new AgentEvent(AgentEventKind.BlockRemoved, gone.Name));
        }

        foreach (var (dimmId, readiness) in readinessAfter)
        {
            if (!readinessBefore.TryGetValue(dimmId, out var previous) || !previous.IsSameVerdict(readiness))
            {
                events.Add(new AgentEvent(AgentEventKind.DimmReadinessChanged, dimmId) { Readiness = readiness });
            }
        }

        return events;
    }
}
