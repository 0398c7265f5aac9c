using GuestAgent.Host.State;

namespace GuestAgent.Host.Workflows;

/// <summary>
/// Brings the state file in line with the hypervisor, first thing in every command: DIMMs gone from the hypervisor are
/// finished (leftovers removed); a plug cut short is completed or undone; an unplug cut short waits out its time
/// limit and otherwise is rolled back (the guest onlines the DIMM again); DIMMs plugged by someone else, with or
/// without an id, are adopted. When an interrupted change turns out carried out, the memory requested becomes the memory
/// the VM has now (the change it belonged to was made).
/// </summary>
public static class RecoveryWorkflow
{
    public static async Task ReconcileAsync(HostSession session, CancellationToken cancellationToken)
    {
        var state = session.State;
        var memory = await session.Hypervisor.ReadMemoryAsync(cancellationToken).ConfigureAwait(false);
        var carriedOut = false;
        foreach (var record in state.Dimms.ToList())
        {
            var dimm = memory.Find(record.Id);
            if (dimm is null)
            {
                if (record.Operation == DimmOperation.Deleting)
                {
                    session.Say("recovered", $"{record.Id}: its unplug finished while no controller was watching", record.Id);
                    carriedOut = true;
                }

                if (await session.Hypervisor.RemoveLeftoversAsync(record.Backend, cancellationToken).ConfigureAwait(false))
                {
                    if (record.Operation is not DimmOperation.None and not DimmOperation.Deleting and not DimmOperation.RemovingBackend)
                    {
                        session.Say("recovered", $"{record.Id}: an interrupted {GuestSteps.Describe(record.Operation)} was undone" + (record.Backend.Length > 0 ? $" (backend {record.Backend} removed)" : ""), record.Id);
                    }

                    state.Dimms.Remove(record);
                }
                else
                {
                    record.Begin(DimmOperation.RemovingBackend, session.Time.GetUtcNow());
                    session.Say("warning", $"{record.Id}: the hypervisor no longer has it but its backend {record.Backend} is still in use; will retry", record.Id);
                }

                continue;
            }

            record.Slot = dimm.Slot;
            record.Addr = dimm.Addr;
            record.Path = dimm.Path;
            switch (record.Operation)
            {
                case DimmOperation.AddingBackend or DimmOperation.AddingDevice:
                    record.Finish();
                    session.Say("recovered", $"{record.Id}: an interrupted plug had completed", record.Id);
                    carriedOut = true;
                    break;
                case DimmOperation.Preparing or DimmOperation.Deleting:
                    carriedOut |= await RecoverInterruptedUnplugAsync(session, record, dimm, cancellationToken).ConfigureAwait(false);
                    break;
                case DimmOperation.RemovingBackend:
                    record.Finish();
                    break;
            }
        }

        foreach (var dimm in memory.Dimms.Where(d => state.Find(d.Name) is null))
        {
            state.Dimms.Add(new DimmRecord
            {
                Id = dimm.Name, Backend = dimm.Backend ?? "", Path = dimm.Path, Size = dimm.Size, Node = dimm.Node, Slot = dimm.Slot, Addr = dimm.Addr,
                Adopted = true, Created = session.Time.GetUtcNow(),
            });
        }

        if (state.Migrating is { } migration)
        {
            await RecoverInterruptedMigrationAsync(session, migration, cancellationToken).ConfigureAwait(false);
        }

        if (carriedOut)
        {
            state.RequestedMemory = (await session.Hypervisor.ReadMemoryAsync(cancellationToken).ConfigureAwait(false)).CurrentMemory;
            state.LastChangeProblem = null;
        }

        session.Save();
    }

    /// <summary>A migration a controller started and did not see end: what the hypervisor says now decides how it ended.</summary>
    private static async Task RecoverInterruptedMigrationAsync(HostSession session, State.MigrationRecord migration, CancellationToken cancellationToken)
    {
        var now = await session.Hypervisor.MigrationStateAsync(cancellationToken).ConfigureAwait(false);
        switch (now.Phase)
        {
            case Hypervisor.MigrationPhase.Outgoing or Hypervisor.MigrationPhase.Incoming:
                return; // still under way: every change is refused until it ends
            case Hypervisor.MigrationPhase.MigratedAway or Hypervisor.MigrationPhase.Arrived:
                migration.Outcome = "completed";
                migration.Ended = session.Time.GetUtcNow();
                session.State.Migrations.Add(migration);
                session.Say("recovered", $"the migration to {migration.To} started {migration.Started:u} completed while no controller was watching ({now.Said})");
                break;
            default:
                session.Say("recovered", $"the migration to {migration.To} started {migration.Started:u} did not complete ({now.Said}): the VM stayed here");
                break;
        }

        session.State.Migrating = null;
    }

    /// <summary>True when the unplug turns out finished (the DIMM went meanwhile); otherwise it is rolled back, or left for the agent.</summary>
    private static async Task<bool> RecoverInterruptedUnplugAsync(HostSession session, DimmRecord record, Hypervisor.HypervisorDimm dimm, CancellationToken cancellationToken)
    {
        if (record.Operation == DimmOperation.Deleting && record.OperationStarted is { } started)
        {
            var left = started + session.Options.UnplugTimeout - session.Time.GetUtcNow();
            if (left > TimeSpan.Zero && await session.Hypervisor.WaitForRemovalAsync(dimm, left, cancellationToken).ConfigureAwait(false))
            {
                session.Say("recovered", $"{record.Id}: the interrupted unplug finished", record.Id);
                await session.Hypervisor.RemoveLeftoversAsync(record.Backend, cancellationToken).ConfigureAwait(false);
                session.State.Dimms.Remove(record);
                return true;
            }
        }

        if (session.Agent is null)
        {
            session.Say("warning", $"{record.Id}: an interrupted unplug needs the guest agent to online the DIMM again ({session.AgentProblem}); will retry", record.Id);
            return false;
        }

        if (record.Slot is { } slot)
        {
            await GuestSteps.CancelAsync(session, record.Id, slot, cancellationToken).ConfigureAwait(false);
        }

        record.Finish();
        session.Say("recovered", $"{record.Id}: an interrupted unplug was rolled back; the DIMM stays", record.Id);
        return false;
    }
}
