using GuestAgent.Memory.Capacity;
using GuestAgent.Memory.Model;
using GuestAgent.Memory.Operations;
using GuestAgent.Memory.Policy;
using GuestAgent.Memory.Proc;
using GuestAgent.Memory.Readiness;
using GuestAgent.Memory.Sysfs;
using GuestAgent.Memory.Udev;
using GuestAgent.Memory.Uevents;
using GuestAgent.Memory.Writing;
using Microsoft.Extensions.Logging;

namespace GuestAgent.Memory.Agent;

/// <summary>
/// The guest side's brain. Sysfs is the truth: every reconcile rebuilds the model from it, onlines what the policy
/// says, and publishes what changed; the kernel's memory accounting says whether each DIMM's contents fit into the
/// rest of the guest. When to reconcile is the <see cref="ReconcileLoop"/>'s job, what only the agent knows is in the
/// <see cref="OperationBook"/>, the kernel's own onlining is kept in step by <see cref="KernelOnliningSettings"/>, and
/// an unplug in progress is journaled so a DIMM is never left offline by an agent that died.
/// </summary>
public sealed class MemoryAgent
{
    /// <summary>How many times to look again for blocks that are offline but not yet linked to their ACPI DIMM.</summary>
    private const int MaxUnmappedRechecks = 5;

    /// <summary>The file the udev drop-in reads (see <see cref="KernelOnliningSettings"/>).</summary>
    public const string OnliningMarkerFileName = KernelOnliningSettings.MarkerFileName;

    private readonly MemoryAgentOptions _options;
    private readonly long _reserve;
    private readonly SysfsMemoryReader _reader;
    private readonly CapacityReader _capacity;
    private readonly UdevRuleScanner _udev;
    private readonly OnlineExecutor _executor;
    private readonly UnplugPreparer _preparer;
    private readonly BootInventory _bootInventory;
    private readonly UnplugJournal _journal;
    private readonly KernelOnliningSettings _settings;
    private readonly OomProtection _oom;
    private readonly ReconcileLoop _loop;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly IBlockStateWriter _writer;

    /// <summary>Serializes whole reconciles and the start and end of operations (never held while a DIMM is offlined).</summary>
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Guards the book, the view and the policy.</summary>
    private readonly Lock _state = new();
    private readonly OperationBook _book = new();
    private readonly TaskCompletionSource _modelReady = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private MemoryAgentView _view;
    private OnlinePolicy _policy;
    private IReadOnlyList<UdevRule> _rules = [];
    private IReadOnlySet<int>? _bootSlots;
    private int _unmappedRechecks;
    private string? _autoOnlineAtStart;
    private bool _startSeen;
    private volatile bool _running;

    public MemoryAgent(MemoryAgentOptions options, IBlockStateWriter writer, ILogger<MemoryAgent> logger, TimeProvider? time = null)
    {
        _options = options;
        _reserve = options.UnplugReserveBytes;
        _policy = options.ToPolicy();
        _reader = new SysfsMemoryReader(options.ToSysfsRoot(), iomemPath: options.ToProcRoot().Iomem);
        _capacity = new CapacityReader(options.ToProcRoot());
        _udev = new UdevRuleScanner(options.ToUdevRuleDirectories());
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _writer = writer;
        _executor = new OnlineExecutor(_reader, writer, new OnceLog(logger), logger);
        _preparer = new UnplugPreparer(writer, _time, logger);
        _bootInventory = new BootInventory(options.RuntimeDirectory, logger);
        _journal = new UnplugJournal(options.RuntimeDirectory, logger);
        _settings = new KernelOnliningSettings(writer, options.RuntimeDirectory, options.KernelAutoOnline, logger);
        _oom = new OomProtection(options.ToProcRoot(), logger);
        _loop = new ReconcileLoop(options.SettleDelay, options.ResyncInterval, _time, logger);
        var empty = MemorySnapshot.Empty(new HotplugSettings(), []);
        _view = AgentViewBuilder.Build(empty, _policy, CapacitySample.Unknown("not read yet"), _reserve);
    }

    /// <summary>Completes when the first reconcile has built the model: serve nobody an empty model before that.</summary>
    public Task ModelReady => _modelReady.Task;

    /// <summary>Raised after each change, outside any lock, in order.</summary>
    public event Action<AgentEvent>? Changed;

    public OnlinePolicy Policy
    {
        get
        {
            lock (_state)
            {
                return _policy;
            }
        }
    }

    /// <summary>The view as of the last reconcile or refresh.</summary>
    public MemoryAgentView View
    {
        get
        {
            lock (_state)
            {
                return _view;
            }
        }
    }

    /// <summary>Whether the reconcile loop is turning (for a watchdog): idle, or in a turn younger than <paramref name="within"/>.</summary>
    public bool IsLoopAlive(TimeSpan within) => _loop.IsAlive(within);

    /// <summary>Runs until cancelled: recovery of an unplug an earlier agent left half done, first reconcile, then uevents and resyncs.</summary>
    public async Task RunAsync(IUeventSource uevents, CancellationToken cancellationToken)
    {
        _running = true;
        _autoOnlineAtStart = _writer.ReadAutoOnlineBlocks();
        _settings.Apply(View.Snapshot, Policy);
        try
        {
            await RecoverAsync(cancellationToken).ConfigureAwait(false);
            await ReconcileAsync("start", cancellationToken).ConfigureAwait(false);
            await _loop.RunAsync(uevents, ReconcileAsync, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            _running = false;
            _settings.Release();
        }
    }

    /// <summary>Asks for a reconcile soon (coalesced with any already pending).</summary>
    public void RequestReconcile(string reason) => _loop.Request(reason);

    /// <summary>Reads sysfs, onlines per policy, publishes changes. Serialized with other reconciles.</summary>
    public async Task<MemoryAgentView> ReconcileAsync(string reason, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _logger.LogDebug("Reconcile ({Reason})", reason);
            var snapshot = ReadSnapshot();
            TrackOutsideChanges(snapshot);
            var policy = Policy;
            IReadOnlyList<DimmOnlinePlan> plans;
            lock (_state)
            {
                if (!_startSeen)
                {
                    _startSeen = true;
                    RecordFoundInKernelZone(snapshot);
                }

                plans = OnlinePlanner.Plan(snapshot, policy, _book.IsEligible);
            }

            foreach (var plan in plans)
            {
                _logger.LogInformation("Onlining {Count} block(s) of {Dimm} into {Zone}: {Reason}", plan.BlockIds.Count, plan.Dimm.Id, plan.Zone, plan.Reason);
                var outcomes = await _executor.ExecuteAsync(plan, cancellationToken).ConfigureAwait(false);
                lock (_state)
                {
                    _book.Record(outcomes);
                    _book.RecordOnlined(plan.Dimm, plan.Reason + (outcomes.Any(o => o.Message.Contains("kernel zone instead", StringComparison.Ordinal)) ? "; Movable was refused, so it went to the kernel zone" : ""));
                }
            }

            if (plans.Count > 0)
            {
                snapshot = ReadSnapshot();
            }

            _rules = _udev.Scan();
            if (_journal.HasEntries)
            {
                ForgetUnpluggedFromJournal(snapshot);
            }

            Publish(snapshot);
            _modelReady.TrySetResult();
            if (_running)
            {
                _settings.Apply(snapshot, policy);
            }

            ScheduleRecheckIfUnmapped(snapshot);
            return View;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Publishes readiness with a fresh reading of the guest's memory accounting (without rereading sysfs): what a DIMM
    /// holds and what the rest can take change with every allocation, so a host asking gets them as of now.
    /// </summary>
    public MemoryAgentView RefreshCapacity()
    {
        Publish(View.Snapshot);
        return View;
    }

    /// <summary>
    /// Offlines a DIMM's blocks ahead of unplug, with rollback; the DIMM is then held offline until it is gone or
    /// cancelled. Refused (<see cref="MemoryOperationError.InsufficientMemory"/>) when what it holds does not fit into
    /// the rest of the guest with the reserve kept, unless <paramref name="force"/>; stopped and rolled back when the
    /// guest runs short while it runs.
    /// </summary>
    public async Task<DimmOperationResult> PrepareUnplugAsync(DimmSelector selector, CancellationToken cancellationToken, bool force = false)
    {
        var (snapshot, dimm, operation) = await BeginAsync(selector, BusyOperation.Preparing, force ? null : CheckCapacity, cancellationToken).ConfigureAwait(false);
        var result = new DimmOperationResult(dimm.Id, DimmOperationResult.PrepareUnplug, false, "interrupted", []);
        try
        {
            _journal.Write(new UnplugJournalEntry(dimm.Id, false, _time.GetUtcNow(), ZonesOf(snapshot, dimm)));
            var limit = _options.OfflineTimeout == TimeSpan.Zero ? Timeout.InfiniteTimeSpan : _options.OfflineTimeout;
            using (_oom.Protect())
            {
                result = await _preparer.OfflineAsync(snapshot, dimm, limit, operation.Cancellation.Token, (remaining, token) => new OfflineGuard(
                    _capacity, remaining, _reserve, force, _options.OfflinePressureLimit, TimeSpan.FromSeconds(MemoryAgentOptions.PressureWindowSeconds), _time, _logger, token))
                    .ConfigureAwait(false);
            }
        }
        finally
        {
            if (result.Succeeded)
            {
                _journal.Write(new UnplugJournalEntry(dimm.Id, true, _time.GetUtcNow(), ZonesOf(snapshot, dimm)));
            }
            else if (result.RolledBack || result.Blocks.All(b => b.Action != "offline" || !b.Succeeded))
            {
                _journal.Remove(dimm.Id);
            }

            await EndAsync(dimm, result, holdOffline: result.Succeeded).ConfigureAwait(false);
            operation.Cancellation.Dispose();
        }

        Raise([new AgentEvent(AgentEventKind.PrepareUnplugFinished, dimm.Id) { Operation = result }]);
        return result;
    }

    /// <summary>Stops a running prepare (it rolls back) or re-onlines a prepared DIMM; either way the DIMM is usable again.</summary>
    public async Task<DimmOperationResult> CancelUnplugAsync(DimmSelector selector, CancellationToken cancellationToken)
    {
        var target = DimmResolver.Resolve(ReadSnapshot(), selector);
        BusyOperation? running;
        lock (_state)
        {
            running = _book.Running(target.Id, BusyOperation.Preparing);
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

        var (snapshot, dimm, operation) = await BeginAsync(selector, BusyOperation.Reonlining, null, cancellationToken).ConfigureAwait(false);
        var result = new DimmOperationResult(dimm.Id, DimmOperationResult.CancelUnplug, false, "interrupted", []);
        try
        {
            result = await _preparer.OnlineAgainAsync(snapshot, dimm, ReonlineZone(), operation.Cancellation.Token).ConfigureAwait(false);
        }
        finally
        {
            if (result.Succeeded)
            {
                _journal.Remove(dimm.Id);
            }

            await EndAsync(dimm, result, holdOffline: false).ConfigureAwait(false);
            operation.Cancellation.Dispose();
        }

        Raise([new AgentEvent(AgentEventKind.CancelUnplugFinished, dimm.Id) { Operation = result }]);
        return result;
    }

    /// <summary>
    /// Moves a DIMM that is online in a kernel zone (put there before the agent started, by the kernel's own onlining
    /// or a rule) into ZONE_MOVABLE, where it can be unplugged: its blocks are offlined as for an unplug (same capacity
    /// check unless <paramref name="force"/>, same guard, OOM protection and journal), then onlined Movable. If a
    /// block cannot be offlined, the ones already offlined go back where they were; if Movable is refused, the blocks
    /// are onlined into the kernel zone again. Never leaves the DIMM offline. A DIMM already Movable is left as it is.
    /// </summary>
    public async Task<DimmOperationResult> MakeMovableAsync(DimmSelector selector, CancellationToken cancellationToken, bool force = false)
    {
        var (snapshot, dimm, operation) = await BeginAsync(selector, BusyOperation.MakingMovable, force ? null : CheckCapacity, cancellationToken).ConfigureAwait(false);
        var result = new DimmOperationResult(dimm.Id, DimmOperationResult.MakeMovable, false, "interrupted", []);
        try
        {
            var blocks = snapshot.BlocksOf(dimm);
            if (blocks.All(b => b.IsOnlineMovable))
            {
                result = new DimmOperationResult(dimm.Id, DimmOperationResult.MakeMovable, true, "every block is already online in Movable", []);
            }
            else
            {
                _journal.Write(new UnplugJournalEntry(dimm.Id, false, _time.GetUtcNow(), ZonesOf(snapshot, dimm)) { Purpose = UnplugJournalEntry.ForMakeMovable });
                result = await MoveIntoMovableAsync(snapshot, dimm, force, operation.Cancellation.Token).ConfigureAwait(false);
            }
        }
        finally
        {
            var now = ReadSnapshot();
            if (now.FindDimmById(dimm.Id) is not { } left || now.BlocksOf(left).All(b => b.State != BlockState.Offline))
            {
                _journal.Remove(dimm.Id);
            }

            if (result.Succeeded)
            {
                lock (_state)
                {
                    _book.RecordOnlined(dimm, "moved into Movable on request (make-movable)");
                }
            }

            await EndAsync(dimm, result, holdOffline: false).ConfigureAwait(false);
            operation.Cancellation.Dispose();
        }

        Raise([new AgentEvent(AgentEventKind.MakeMovableFinished, dimm.Id) { Operation = result }]);
        return result;
    }

    private async Task<DimmOperationResult> MoveIntoMovableAsync(MemorySnapshot snapshot, Dimm dimm, bool force, CancellationToken cancellationToken)
    {
        var limit = _options.OfflineTimeout == TimeSpan.Zero ? Timeout.InfiniteTimeSpan : _options.OfflineTimeout;
        DimmOperationResult offline;
        using (_oom.Protect())
        {
            offline = await _preparer.OfflineAsync(snapshot, dimm, limit, cancellationToken, (remaining, token) => new OfflineGuard(
                _capacity, remaining, _reserve, force, _options.OfflinePressureLimit, TimeSpan.FromSeconds(MemoryAgentOptions.PressureWindowSeconds), _time, _logger, token))
                .ConfigureAwait(false);
        }

        if (!offline.Succeeded)
        {
            return offline with { Operation = DimmOperationResult.MakeMovable, Message = offline.Message + "; it stays where it was" };
        }

        // Onlining is never cancelled halfway: the DIMM must not stay offline.
        var movable = await _preparer.OnlineAgainAsync(ReadSnapshot(), dimm, BlockStateRequest.OnlineMovable, CancellationToken.None).ConfigureAwait(false);
        var blocks = offline.Blocks.Concat(movable.Blocks).ToList();
        if (movable.Succeeded)
        {
            _logger.LogInformation("{Dimm} is online in Movable now (make-movable)", dimm.Id);
            return new DimmOperationResult(dimm.Id, DimmOperationResult.MakeMovable, true, "every block is online in Movable", blocks);
        }

        _logger.LogWarning("{Dimm}: Movable was refused ({Reason}); onlining it into the kernel zone again", dimm.Id, movable.Message);
        var back = await _preparer.OnlineAgainAsync(ReadSnapshot(), dimm, BlockStateRequest.OnlineKernel, CancellationToken.None).ConfigureAwait(false);
        return new DimmOperationResult(
            dimm.Id,
            DimmOperationResult.MakeMovable,
            false,
            $"Movable was refused ({movable.Message}); " + (back.Succeeded ? "onlined into the kernel zone again" : "and onlining it into the kernel zone again failed: " + back.Message),
            [.. blocks, .. back.Blocks],
            RolledBack: back.Succeeded);
    }

    public void SetPolicy(OnlinePolicy policy)
    {
        lock (_state)
        {
            _policy = policy;
        }

        if (_running)
        {
            _settings.Apply(View.Snapshot, policy);
        }

        _logger.LogInformation("Policy set to {Policy}", policy);
        Publish(View.Snapshot);
        Raise([new AgentEvent(AgentEventKind.PolicyChanged, "policy")]);
        RequestReconcile("policy changed");
    }

    /// <summary>
    /// A DIMM an earlier agent was offlining, or held offline for the host, when it died is onlined again into the zone
    /// it was in, and the model says so (the host reads it in <c>AGENT_READY</c>).
    /// </summary>
    private async Task RecoverAsync(CancellationToken cancellationToken)
    {
        var entries = _journal.Load();
        if (entries.Count == 0)
        {
            return;
        }

        var snapshot = ReadSnapshot();
        foreach (var entry in entries)
        {
            // The same slot may hold another DIMM by now (the one journaled was unplugged, then one plugged there).
            var dimm = snapshot.FindDimmById(entry.Dimm) is { } found && IsSameDimm(found, entry) ? found : null;
            var since = entry.Started.ToString("u", System.Globalization.CultureInfo.InvariantCulture);
            string message;
            if (dimm is null)
            {
                message = $"{entry.Dimm} was being unplugged (since {since}) when the agent stopped, and is gone now: the unplug completed";
            }
            else
            {
                var offline = snapshot.BlocksOf(dimm).Count(b => b.State == BlockState.Offline);
                var result = await _preparer.OnlineAgainAsync(snapshot, dimm, ReonlineZone(entry), cancellationToken).ConfigureAwait(false);
                lock (_state)
                {
                    _book.Record(result.Blocks);
                }

                message = (entry.Purpose == UnplugJournalEntry.ForMakeMovable
                              ? $"{entry.Dimm} was being moved into Movable (since {since}) when the agent stopped; "
                              : entry.Prepared
                              ? $"{entry.Dimm} was held offline for an unplug (since {since}) when the agent stopped; "
                              : $"{entry.Dimm} was being offlined for an unplug (since {since}) when the agent stopped; ")
                          + (offline == 0 ? "none of it was offline" : result.Succeeded ? $"its {offline} offline block(s) were onlined again" : "onlining it again failed: " + result.Message);
            }

            _logger.LogWarning("Recovered: {Message}", message);
            lock (_state)
            {
                _book.RecordRecovery(new AgentRecovery(entry.Dimm, message, _time.GetUtcNow()));
            }

            _journal.Remove(entry.Dimm);
        }
    }

    /// <summary>
    /// On the first reconcile: DIMMs already online in a kernel zone were put there before this agent started (at
    /// boot, by the kernel's own onlining, a rule or an administrator: sysfs cannot tell a DIMM present at boot from one
    /// plugged before the agent's first start); the reason says what <c>auto_online_blocks</c> suggests.
    /// </summary>
    private void RecordFoundInKernelZone(MemorySnapshot snapshot)
    {
        foreach (var dimm in snapshot.Dimms.Where(d => d.Kind != DimmKind.Boot))
        {
            if (snapshot.BlocksOf(dimm).Any(b => b.State == BlockState.Online && b.Zone is { } zone && zone != ZoneNames.Movable))
            {
                _book.RecordFound(dimm, FoundInKernelZoneReason(_autoOnlineAtStart));
            }
        }
    }

    internal static string FoundInKernelZoneReason(string? autoOnlineAtStart) =>
        (autoOnlineAtStart is "online" or "online_kernel"
            ? $"onlined there before the agent started, most likely by the kernel itself: auto_online_blocks was {autoOnlineAtStart} "
              + "(the default of kernels built with MHP_DEFAULT_ONLINE_TYPE_ONLINE_AUTO, such as Debian's and RHEL 10's 6.12)"
            : "onlined there before the agent started: at boot, by a udev rule or by an administrator")
        + "; make-movable moves it into Movable if what it holds can move";

    private static bool IsSameDimm(Dimm dimm, UnplugJournalEntry entry) =>
        entry.Zones.Count == 0 || entry.Zones.Keys.Order().SequenceEqual(dimm.BlockIds.Order());

    /// <summary>Journal entries of DIMMs that are gone (unplugged while the agent held them) go too.</summary>
    private void ForgetUnpluggedFromJournal(MemorySnapshot snapshot)
    {
        foreach (var entry in _journal.Load())
        {
            if (snapshot.FindDimmById(entry.Dimm) is not { } dimm || !IsSameDimm(dimm, entry))
            {
                _logger.LogDebug("{Dimm} is gone: its unplug journal entry goes", entry.Dimm);
                _journal.Remove(entry.Dimm);
            }
        }
    }

    /// <summary>Why a prepare must not start: what the DIMM holds does not fit (or the guest's accounting is unreadable).</summary>
    private string? CheckCapacity(MemorySnapshot snapshot, Dimm dimm)
    {
        var verdict = UnplugCapacity.Evaluate(snapshot, _capacity.Read(), [dimm], _reserve);
        return verdict.Fits ? null : $"{dimm.Id} {verdict.Reason}; a forced prepare skips this check";
    }

    private BlockStateRequest ReonlineZone() => Policy.Kind == OnlinePolicyKind.Kernel ? BlockStateRequest.Online : BlockStateRequest.OnlineMovable;

    private static BlockStateRequest ReonlineZone(UnplugJournalEntry entry) =>
        entry.Zones.Values.Any(z => z != ZoneNames.Movable) ? BlockStateRequest.OnlineKernel : BlockStateRequest.OnlineMovable;

    private static Dictionary<int, string> ZonesOf(MemorySnapshot snapshot, Dimm dimm) =>
        snapshot.BlocksOf(dimm).ToDictionary(b => b.Id, b => b.Zone ?? ZoneNames.Movable);

    private async Task<(MemorySnapshot Snapshot, Dimm Dimm, BusyOperation Operation)> BeginAsync(
        DimmSelector selector, string reason, Func<MemorySnapshot, Dimm, string?>? check, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var snapshot = ReadSnapshot();
            TrackOutsideChanges(snapshot);
            var dimm = DimmResolver.Resolve(snapshot, selector);
            if (dimm.Kind == DimmKind.Boot)
            {
                throw new MemoryOperationException(MemoryOperationError.NotRemovable, $"{dimm.Id} is boot memory and cannot be unplugged");
            }

            lock (_state)
            {
                if (_book.BusyReason(dimm.Id) is { } busy)
                {
                    throw new MemoryOperationException(MemoryOperationError.Busy, $"{dimm.Id} is busy: {busy}");
                }
            }

            if (check?.Invoke(snapshot, dimm) is { } refusal)
            {
                throw new MemoryOperationException(MemoryOperationError.InsufficientMemory, refusal);
            }

            var operation = new BusyOperation(reason, CancellationTokenSource.CreateLinkedTokenSource(cancellationToken));
            lock (_state)
            {
                try
                {
                    _book.Begin(dimm, operation);
                }
                catch
                {
                    operation.Cancellation.Dispose();
                    throw;
                }
            }

            Publish(snapshot);
            return (snapshot, dimm, operation);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task EndAsync(Dimm dimm, DimmOperationResult result, bool holdOffline)
    {
        await _gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            BusyOperation? operation;
            lock (_state)
            {
                operation = _book.End(dimm, result.Blocks, holdOffline);
            }

            Publish(ReadSnapshot());
            operation?.Finished.TrySetResult();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Reads sysfs (once); on the first read after start, records which DIMMs were there (present at boot).</summary>
    private MemorySnapshot ReadSnapshot()
    {
        var snapshot = _reader.Read(_bootSlots);
        if (_bootSlots is null)
        {
            var present = snapshot.Dimms.Where(d => d.Kind == DimmKind.Acpi && d.Slot is not null).Select(d => d.Slot!.Value);
            _bootSlots = _bootInventory.LoadOrRecord(present);
            snapshot = snapshot with { Dimms = Mapping.DimmMapper.WithBootSlots(snapshot.Dimms, _bootSlots) };
        }

        return snapshot;
    }

    private void TrackOutsideChanges(MemorySnapshot snapshot)
    {
        IReadOnlyList<MemoryBlock> left;
        lock (_state)
        {
            left = _book.TrackOutsideChanges(_view.Snapshot, snapshot);
        }

        foreach (var block in left)
        {
            _logger.LogInformation("{Block} was offlined outside the agent; leaving it offline", block.Name);
        }
    }

    /// <summary>Builds the view from a snapshot and a fresh capacity reading, and raises what changed.</summary>
    private void Publish(MemorySnapshot snapshot)
    {
        var capacity = _capacity.Read();
        IReadOnlyList<AgentEvent> events;
        lock (_state)
        {
            var view = AgentViewBuilder.Build(snapshot, _policy, capacity, _reserve, _book, _rules, _settings.AutoOnlineSetByAgent);
            events = SnapshotDiff.Compute(_view.Snapshot, _view.Readiness, view.Snapshot, view.Readiness);
            _view = view;
        }

        Raise(events);
    }

    private void Raise(IReadOnlyList<AgentEvent> events)
    {
        foreach (var e in events)
        {
            try
            {
                Changed?.Invoke(e);
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "An event handler failed for {Event}", e.Kind);
            }
        }
    }

    /// <summary>Offline blocks that belong to no ACPI DIMM yet, on a guest that has ACPI DIMMs, may still be getting linked.</summary>
    private void ScheduleRecheckIfUnmapped(MemorySnapshot snapshot)
    {
        bool unmapped;
        lock (_state)
        {
            unmapped = snapshot.AcpiDevices.Count > 0 && snapshot.Dimms
                .Where(d => d.Kind == DimmKind.Boot)
                .SelectMany(snapshot.BlocksOf)
                .Any(b => b.State == BlockState.Offline && _book.IsEligible(b));
        }

        if (!unmapped)
        {
            _unmappedRechecks = 0;
            return;
        }

        if (_unmappedRechecks++ < MaxUnmappedRechecks)
        {
            _loop.RequestAfter(TimeSpan.FromSeconds(1), "offline blocks not yet linked to a DIMM");
        }
        else if (_unmappedRechecks == MaxUnmappedRechecks + 1)
        {
            _logger.LogWarning("Some offline blocks belong to no ACPI memory device; leaving them offline");
        }
    }
}
