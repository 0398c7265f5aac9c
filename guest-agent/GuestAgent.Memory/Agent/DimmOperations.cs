using GuestAgent.Memory.Capacity;
using GuestAgent.Memory.Model;
using GuestAgent.Memory.Operations;
using GuestAgent.Memory.Policy;
using GuestAgent.Memory.Proc;
using GuestAgent.Memory.Writing;
using Microsoft.Extensions.Logging;

namespace GuestAgent.Memory.Agent;

/// <summary>
/// The one pipeline every DIMM operation goes through — prepare-unplug, cancel-unplug, make-movable: begin (the DIMM
/// resolved, boot memory and a busy DIMM refused, the capacity checked unless forced, the DIMM marked busy and
/// published), the journal before a block is touched, the guard while blocks go offline (the agent's OOM protection
/// and the watch on the guest's memory), the operation's own steps, the journal's outcome, end (the book, published),
/// and its finished event. Outcomes are values (<see cref="DimmOperationResult"/>), refusals a
/// <see cref="MemoryOperationException"/>.
/// </summary>
public sealed class DimmOperations(
    AgentState state,
    SnapshotSource snapshots,
    Reconciler reconciler,
    AgentPublisher publisher,
    UnplugPreparer preparer,
    UnplugJournal journal,
    OomProtection oom,
    CapacityReader capacity,
    MemoryAgentOptions options,
    TimeProvider time,
    ILogger logger)
{
    /// <summary>A DIMM operation begun: the model it started from, the DIMM, and its busy record (how to stop it).</summary>
    private sealed record Begun(MemorySnapshot Snapshot, Dimm Dimm, BusyOperation Operation);

    /// <summary>
    /// Offlines a DIMM's blocks ahead of unplug, with rollback; the DIMM is then held offline until it is gone or
    /// cancelled. Refused (<see cref="MemoryOperationError.InsufficientMemory"/>) when what it holds does not fit into
    /// the rest of the guest with the reserve kept, unless <paramref name="force"/>; stopped and rolled back when the
    /// guest runs short while it runs.
    /// </summary>
    public Task<DimmOperationResult> PrepareUnplugAsync(DimmSelector selector, bool force, CancellationToken cancellationToken) =>
        RunAsync(selector, BusyOperation.Preparing, checkCapacity: !force, AgentEventKind.PrepareUnplugFinished, cancellationToken, async begun =>
        {
            journal.Write(new UnplugJournalEntry(begun.Dimm.Id, false, time.GetUtcNow(), ZonesOf(begun.Snapshot, begun.Dimm)));
            var result = await GuardedOfflineAsync(begun, force).ConfigureAwait(false);
            if (result.Succeeded)
            {
                journal.Write(new UnplugJournalEntry(begun.Dimm.Id, true, time.GetUtcNow(), ZonesOf(begun.Snapshot, begun.Dimm)));
            }
            else if (result.RolledBack || result.Blocks.All(b => b.Action != "offline" || !b.Succeeded))
            {
                journal.Remove(begun.Dimm.Id);
            }

            return (result, result.Succeeded);
        });

    /// <summary>Stops a running prepare (it rolls back) or re-onlines a prepared DIMM; either way the DIMM is usable again.</summary>
    public async Task<DimmOperationResult> CancelUnplugAsync(DimmSelector selector, CancellationToken cancellationToken)
    {
        var target = DimmResolver.Resolve(snapshots.Read(), selector);
        BusyOperation? running;
        lock (state.Lock)
        {
            running = state.Book.Running(target.Id, BusyOperation.Preparing);
        }

        if (running is not null)
        {
            try
            {
                await running.Cancellation.CancelAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                // It finished meanwhile.
            }

            await running.Finished.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        return await RunAsync(selector, BusyOperation.Reonlining, checkCapacity: false, AgentEventKind.CancelUnplugFinished, cancellationToken, async begun =>
        {
            var zone = state.CurrentPolicy.Kind == OnlinePolicyKind.Kernel ? BlockStateRequest.Online : BlockStateRequest.OnlineMovable;
            var result = await preparer.OnlineAgainAsync(begun.Snapshot, begun.Dimm, zone, begun.Operation.Cancellation.Token).ConfigureAwait(false);
            if (result.Succeeded)
            {
                journal.Remove(begun.Dimm.Id);
            }

            return (result, false);
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// Moves a DIMM that is online in a kernel zone (put there before the agent started, by the kernel's own onlining
    /// or a rule) into ZONE_MOVABLE, where it can be unplugged: offlined as for an unplug (same capacity check unless
    /// <paramref name="force"/>, same guard, OOM protection and journal), then onlined Movable. If a block cannot be
    /// offlined, the ones already offlined go back where they were; if Movable is refused, the blocks are onlined into
    /// the kernel zone again. Never leaves the DIMM offline. A DIMM already Movable is left as it is.
    /// </summary>
    public Task<DimmOperationResult> MakeMovableAsync(DimmSelector selector, bool force, CancellationToken cancellationToken) =>
        RunAsync(selector, BusyOperation.MakingMovable, checkCapacity: !force, AgentEventKind.MakeMovableFinished, cancellationToken, async begun =>
        {
            var (snapshot, dimm) = (begun.Snapshot, begun.Dimm);
            DimmOperationResult result;
            if (snapshot.BlocksOf(dimm).All(b => b.IsOnlineMovable))
            {
                result = new DimmOperationResult(dimm.Id, DimmOperationResult.MakeMovable, true, "every block is already online in Movable", []);
            }
            else
            {
                journal.Write(new UnplugJournalEntry(dimm.Id, false, time.GetUtcNow(), ZonesOf(snapshot, dimm)) { Purpose = UnplugJournalEntry.ForMakeMovable });
                result = await MoveIntoMovableAsync(begun, force).ConfigureAwait(false);
            }

            var now = snapshots.Read();
            if (now.FindDimmById(dimm.Id) is not { } left || now.BlocksOf(left).All(b => b.State != BlockState.Offline))
            {
                journal.Remove(dimm.Id);
            }

            if (result.Succeeded)
            {
                lock (state.Lock)
                {
                    state.Book.RecordOnlined(dimm, "moved into Movable on request (make-movable)");
                }
            }

            return (result, false);
        });

    /// <summary>
    /// Begin, the operation's own steps (which say whether the DIMM is then held offline), end, the finished event. The
    /// steps see the operation's cancellation (a cancel-unplug, the host leaving, the agent stopping).
    /// </summary>
    private async Task<DimmOperationResult> RunAsync(
        DimmSelector selector,
        string busyReason,
        bool checkCapacity,
        AgentEventKind finished,
        CancellationToken cancellationToken,
        Func<Begun, Task<(DimmOperationResult Result, bool HoldOffline)>> steps)
    {
        var begun = await BeginAsync(selector, busyReason, checkCapacity, cancellationToken).ConfigureAwait(false);
        var operation = finished switch
        {
            AgentEventKind.PrepareUnplugFinished => DimmOperationResult.PrepareUnplug,
            AgentEventKind.MakeMovableFinished => DimmOperationResult.MakeMovable,
            _ => DimmOperationResult.CancelUnplug,
        };
        var outcome = (Result: new DimmOperationResult(begun.Dimm.Id, operation, false, "interrupted", []), HoldOffline: false);
        try
        {
            outcome = await steps(begun).ConfigureAwait(false);
        }
        finally
        {
            await EndAsync(begun, outcome.Result, outcome.HoldOffline).ConfigureAwait(false);
            begun.Operation.Cancellation.Dispose();
        }

        publisher.Raise(new AgentEvent(finished, begun.Dimm.Id) { Operation = outcome.Result });
        return outcome.Result;
    }

    private async Task<Begun> BeginAsync(DimmSelector selector, string reason, bool checkCapacity, CancellationToken cancellationToken)
    {
        await state.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var snapshot = snapshots.Read();
            reconciler.TrackOutsideChanges(snapshot);
            var dimm = DimmResolver.Resolve(snapshot, selector);
            if (dimm.Kind == DimmKind.Boot)
            {
                throw new MemoryOperationException(MemoryOperationError.NotRemovable, $"{dimm.Id} is boot memory and cannot be unplugged");
            }

            lock (state.Lock)
            {
                if (state.Book.BusyReason(dimm.Id) is { } busy)
                {
                    throw new MemoryOperationException(MemoryOperationError.Busy, $"{dimm.Id} is busy: {busy}");
                }
            }

            if (checkCapacity && CapacityRefusal(snapshot, dimm) is { } refusal)
            {
                throw new MemoryOperationException(MemoryOperationError.InsufficientMemory, refusal);
            }

            var operation = new BusyOperation(reason, CancellationTokenSource.CreateLinkedTokenSource(cancellationToken));
            lock (state.Lock)
            {
                state.Book.Begin(dimm, operation);
            }

            publisher.Publish(snapshot);
            return new Begun(snapshot, dimm, operation);
        }
        finally
        {
            state.Gate.Release();
        }
    }

    private async Task EndAsync(Begun begun, DimmOperationResult result, bool holdOffline)
    {
        await state.Gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            lock (state.Lock)
            {
                state.Book.End(begun.Dimm, result.Blocks, holdOffline);
            }

            publisher.Publish(snapshots.Read());
            begun.Operation.Finished.TrySetResult();
        }
        finally
        {
            state.Gate.Release();
        }
    }

    /// <summary>Why the operation must not start: what the DIMM holds does not fit (or the guest's accounting is unreadable).</summary>
    private string? CapacityRefusal(MemorySnapshot snapshot, Dimm dimm)
    {
        var verdict = UnplugCapacity.Evaluate(snapshot, capacity.Read(), [dimm], options.UnplugReserveBytes);
        return verdict.Fits ? null : $"{dimm.Id} {verdict.Reason}; a forced prepare skips this check";
    }

    /// <summary>The DIMM's blocks offlined within the time limit, the agent protected from the OOM killer and the guest watched meanwhile.</summary>
    private async Task<DimmOperationResult> GuardedOfflineAsync(Begun begun, bool force)
    {
        var limit = options.OfflineTimeout == TimeSpan.Zero ? Timeout.InfiniteTimeSpan : options.OfflineTimeout;
        using (oom.Protect())
        {
            return await preparer.OfflineAsync(begun.Snapshot, begun.Dimm, limit, begun.Operation.Cancellation.Token, (remaining, token) => new OfflineGuard(
                capacity, remaining, options.UnplugReserveBytes, force, options.OfflinePressureLimit, TimeSpan.FromSeconds(MemoryAgentOptions.PressureWindowSeconds), time, logger, token))
                .ConfigureAwait(false);
        }
    }

    private async Task<DimmOperationResult> MoveIntoMovableAsync(Begun begun, bool force)
    {
        var dimm = begun.Dimm;
        var offline = await GuardedOfflineAsync(begun, force).ConfigureAwait(false);
        if (!offline.Succeeded)
        {
            return offline with { Operation = DimmOperationResult.MakeMovable, Message = offline.Message + "; it stays where it was" };
        }

        // Onlining is never cancelled halfway: the DIMM must not stay offline.
        var movable = await preparer.OnlineAgainAsync(snapshots.Read(), dimm, BlockStateRequest.OnlineMovable, CancellationToken.None).ConfigureAwait(false);
        var blocks = offline.Blocks.Concat(movable.Blocks).ToList();
        if (movable.Succeeded)
        {
            logger.LogInformation("{Dimm} is online in Movable now (make-movable)", dimm.Id);
            return new DimmOperationResult(dimm.Id, DimmOperationResult.MakeMovable, true, "every block is online in Movable", blocks);
        }

        logger.LogWarning("{Dimm}: Movable was refused ({Reason}); onlining it into the kernel zone again", dimm.Id, movable.Message);
        var back = await preparer.OnlineAgainAsync(snapshots.Read(), dimm, BlockStateRequest.OnlineKernel, CancellationToken.None).ConfigureAwait(false);
        return new DimmOperationResult(
            dimm.Id,
            DimmOperationResult.MakeMovable,
            false,
            $"Movable was refused ({movable.Message}); " + (back.Succeeded ? "onlined into the kernel zone again" : "and onlining it into the kernel zone again failed: " + back.Message),
            [.. blocks, .. back.Blocks],
            RolledBack: back.Succeeded);
    }

    private static Dictionary<int, string> ZonesOf(MemorySnapshot snapshot, Dimm dimm) =>
        snapshot.BlocksOf(dimm).ToDictionary(b => b.Id, b => b.Zone ?? ZoneNames.Movable);
}
