using System.Globalization;
using GuestAgent.Host.Hypervisor;
using GuestAgent.Host.Operations;
using GuestAgent.Host.Planning;
using GuestAgent.Host.State;
using GuestAgent.Protocol.Sizes;

namespace GuestAgent.Host.Workflows;

/// <summary>
/// <c>migrate URI</c> (bare QEMU, Ganeti's way): moves the VM live to a destination QEMU already started with the
/// source's <c>-m</c>, <c>-name</c>, <c>-uuid</c>, devices (its DIMMs as <c>qemu-args</c> prints them) and
/// <c>-incoming</c>. Refused while a DIMM operation is in flight or a migration already holds the VM; given the
/// destination's monitor, it first checks the destination waits for this VM with the same memory devices. It follows
/// the migration, says its progress, and on completion records where the VM went and what moved with it; the state
/// file keyed to the VM's UUID is then the destination's (on one host, the same file; across hosts, copy it with
/// <c>--state-to</c>). A migration that fails or is cancelled (Ctrl-C, SIGTERM: QEMU's <c>migrate_cancel</c>) leaves
/// the VM running here and nothing recorded as moved.
/// </summary>
public static class MigrateWorkflow
{
    /// <summary>How often the migration is looked at: a completion is seen within this.</summary>
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    /// <summary>How often its progress is said.</summary>
    private static readonly TimeSpan Say = TimeSpan.FromSeconds(1);

    public static async Task<MigrationRecord> RunAsync(HostSession session, string uri, string? destinationMonitor, string? stateTo, CancellationToken cancellationToken)
    {
        if (session.Hypervisor is not ILiveMigration migration)
        {
            throw new HostCommandException("this backend does not migrate VMs itself: under libvirt, use virsh migrate --live (the controller then works on the destination's connection)");
        }

        if (session.State.Dimms.FirstOrDefault(d => d.Operation != DimmOperation.None) is { } busy)
        {
            throw new HostCommandException($"refusing to migrate: {busy.Id} is in the middle of {GuestSteps.Describe(busy.Operation)} since {busy.OperationStarted:u}; run status to finish or roll it back first");
        }

        await session.RefuseDuringMigrationAsync("migrate", cancellationToken).ConfigureAwait(false);
        var memory = await session.Hypervisor.ReadMemoryAsync(cancellationToken).ConfigureAwait(false);
        if (destinationMonitor is not null)
        {
            await CheckDestinationAsync(session, migration, memory, destinationMonitor, cancellationToken).ConfigureAwait(false);
        }

        var record = new MigrationRecord
        {
            To = uri, Started = session.Time.GetUtcNow(),
            Devices = [.. memory.Dimms.Select(d => d.Name), .. memory.VirtioMem.Select(d => "virtio-mem " + d.Id)],
        };
        session.State.Migrating = record;
        session.Save();
        var started = session.Time.GetTimestamp();
        try
        {
            // Not cancelled halfway: once QEMU is asked, the follow below sees the stop and cancels the migration itself.
            await migration.StartMigrationAsync(uri, CancellationToken.None).ConfigureAwait(false);
        }
        catch (HypervisorRefusedException e)
        {
            session.State.Migrating = null;
            session.Save();
            throw new HostCommandException($"{e.Message}; the VM stays here", e);
        }

        session.Say("migrating", $"migrating {session.Hypervisor.Identity.Description} to {uri}: {record.Devices.Count} memory devices go with it ({string.Join(", ", record.Devices)})");
        var progress = await FollowAsync(session, migration, cancellationToken).ConfigureAwait(false);
        var took = session.Time.GetElapsedTime(started);
        record.Ended = session.Time.GetUtcNow();
        record.Outcome = progress.Status;
        record.TotalTimeMs = progress.TotalTimeMs;
        record.DowntimeMs = progress.DowntimeMs;
        session.State.Migrating = null;
        if (progress.Status != "completed")
        {
            session.Save();
            var why = progress.Error is { } error ? $": {error}" : "";
            throw new HostCommandException($"the migration to {uri} {progress.Status}{why}; the VM keeps running here and nothing moved");
        }

        session.State.Migrations.Add(record);
        if (session.State.Migrations.Count > 20)
        {
            session.State.Migrations.RemoveAt(0);
        }

        session.Save();
        if (stateTo is not null)
        {
            File.Copy(session.StatePath, stateTo, overwrite: true);
        }

        var c = CultureInfo.InvariantCulture;
        session.Say("migrated", string.Create(c, $"migrated to {uri} in {took.TotalSeconds:0.00} s (QEMU: total {progress.TotalTimeMs} ms, downtime {progress.DowntimeMs} ms, ")
            + $"{ByteSize.Approximate(progress.RamTransferred ?? 0)} sent); it runs on the destination now with {string.Join(", ", record.Devices)}"
            + (stateTo is null ? $"; the state file {session.StatePath} is its controller's there" : $"; state handed over to {stateTo}"));
        if (destinationMonitor is not null)
        {
            await ConfirmArrivalAsync(session, migration, memory, destinationMonitor).ConfigureAwait(false);
        }

        return record;
    }

    /// <summary>The destination must wait for this very VM (its identity, -incoming) with the same memory devices.</summary>
    private static async Task CheckDestinationAsync(HostSession session, ILiveMigration migration, HypervisorMemory memory, string monitor, CancellationToken cancellationToken)
    {
        await using var destination = await migration.ConnectDestinationAsync(monitor, session.Options.QmpTimeout, cancellationToken).ConfigureAwait(false);
        var problems = new List<string>();
        if (destination.Identity.Key != session.Hypervisor.Identity.Key)
        {
            problems.Add($"it is another VM ({destination.Identity.Description}, this one is {session.Hypervisor.Identity.Description}): give it the same -uuid and -name, or its controller will not find this VM's DIMMs");
        }

        var state = await destination.MigrationStateAsync(cancellationToken).ConfigureAwait(false);
        if (state.Phase != MigrationPhase.Incoming)
        {
            problems.Add($"it does not wait for a migration ({state.Said}): start it with -incoming");
        }

        problems.AddRange(MigrationCheck.Differences(memory, await destination.ReadMemoryAsync(cancellationToken).ConfigureAwait(false)));
        if (problems.Count > 0)
        {
            throw new HostCommandException($"refusing to migrate to the QEMU at {monitor}: {string.Join("; ", problems)}; nothing was started, the VM stays here");
        }

        session.Say("checked", $"the destination at {monitor} waits for this VM with the same memory devices");
    }

    /// <summary>Follows the migration to its end; a cancellation asks QEMU to stop it and waits for that.</summary>
    private static async Task<MigrationProgress> FollowAsync(HostSession session, ILiveMigration migration, CancellationToken cancellationToken)
    {
        var time = session.Time;
        var lastSaid = time.GetTimestamp();
        var cancelling = false;
        while (true)
        {
            var progress = await migration.MigrationProgressAsync(CancellationToken.None).ConfigureAwait(false);
            if (progress.Ended)
            {
                return progress;
            }

            if (cancellationToken.IsCancellationRequested && !cancelling)
            {
                session.Say("cancelling", "stopping the migration (migrate_cancel): the VM keeps running here");
                await migration.CancelMigrationAsync(CancellationToken.None).ConfigureAwait(false);
                cancelling = true;
            }

            if (time.GetElapsedTime(lastSaid) >= Say)
            {
                session.Say("progress", string.Create(CultureInfo.InvariantCulture,
                    $"migration {progress.Status}: {ByteSize.Approximate(progress.RamTransferred ?? 0)} sent, {ByteSize.Approximate(progress.RamRemaining ?? 0)} to go, {progress.Mbps ?? 0:0} Mbit/s, expected downtime {progress.ExpectedDowntimeMs ?? 0} ms"));
                lastSaid = time.GetTimestamp();
            }

            await Task.Delay(Poll, time, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>After completion, the destination runs the VM with its devices: said, not assumed.</summary>
    private static async Task ConfirmArrivalAsync(HostSession session, ILiveMigration migration, HypervisorMemory memory, string monitor)
    {
        try
        {
            await using var destination = await migration.ConnectDestinationAsync(monitor, session.Options.QmpTimeout, CancellationToken.None).ConfigureAwait(false);
            var state = await destination.MigrationStateAsync(CancellationToken.None).ConfigureAwait(false);
            var differences = MigrationCheck.Differences(memory, await destination.ReadMemoryAsync(CancellationToken.None).ConfigureAwait(false));
            session.Say("arrived", state.Phase == MigrationPhase.Arrived && differences.Count == 0
                ? $"the destination runs it ({state.Said}) with the same memory devices"
                : $"warning: the destination says {state.Said}" + (differences.Count > 0 ? "; " + string.Join("; ", differences) : ""));
        }
        catch (Exception e) when (e is Qmp.QmpException or Qmp.QmpCommandException or IOException)
        {
            session.Say("warning", $"warning: the destination's monitor {monitor} could not be read after the migration: {e.Message}");
        }
    }
}
