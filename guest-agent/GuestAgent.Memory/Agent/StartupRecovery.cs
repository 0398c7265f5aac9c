using GuestAgent.Memory.Model;
using GuestAgent.Memory.Operations;
using Microsoft.Extensions.Logging;

namespace GuestAgent.Memory.Agent;

/// <summary>
/// At start: a DIMM an earlier agent was offlining (for an unplug or a make-movable), or held offline for the host,
/// when it died is onlined again into the zone it was in, and the model says so (the host reads it in
/// <c>AGENT_READY</c>). Nothing stays offline without an owner.
/// </summary>
public sealed class StartupRecovery(AgentState state, SnapshotSource snapshots, UnplugPreparer preparer, UnplugJournal journal, TimeProvider time, ILogger logger)
{
    public async Task RecoverAsync(CancellationToken cancellationToken)
    {
        var entries = journal.Load();
        if (entries.Count == 0)
        {
            return;
        }

        var snapshot = snapshots.Read();
        foreach (var entry in entries)
        {
            var dimm = snapshot.FindDimmById(entry.Dimm) is { } found && entry.IsOf(found) ? found : null;
            var since = entry.Started.ToString("u", System.Globalization.CultureInfo.InvariantCulture);
            string message;
            if (dimm is null)
            {
                message = $"{entry.Dimm} was being unplugged (since {since}) when the agent stopped, and is gone now: the unplug completed";
            }
            else
            {
                var offline = snapshot.BlocksOf(dimm).Count(b => b.State == BlockState.Offline);
                var result = await preparer.OnlineAgainAsync(snapshot, dimm, entry.ReonlineZone, cancellationToken).ConfigureAwait(false);
                lock (state.Lock)
                {
                    state.Book.Record(result.Blocks);
                }

                message = (entry.Purpose == UnplugJournalEntry.ForMakeMovable
                              ? $"{entry.Dimm} was being moved into Movable (since {since}) when the agent stopped; "
                              : entry.Prepared
                              ? $"{entry.Dimm} was held offline for an unplug (since {since}) when the agent stopped; "
                              : $"{entry.Dimm} was being offlined for an unplug (since {since}) when the agent stopped; ")
                          + (offline == 0 ? "none of it was offline" : result.Succeeded ? $"its {offline} offline block(s) were onlined again" : "onlining it again failed: " + result.Message);
            }

            logger.LogWarning("Recovered: {Message}", message);
            lock (state.Lock)
            {
                state.Book.RecordRecovery(new AgentRecovery(entry.Dimm, message, time.GetUtcNow()));
            }

            journal.Remove(entry.Dimm);
        }
    }
}
