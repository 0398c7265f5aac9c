using System.Threading.Channels;
using GuestAgent.Memory.Model;
using GuestAgent.Memory.Operations;
using GuestAgent.Memory.Policy;
using GuestAgent.Memory.Readiness;
using GuestAgent.Memory.Sysfs;
using GuestAgent.Memory.Uevents;
using GuestAgent.Memory.Writing;
using Microsoft.Extensions.Logging;

namespace GuestAgent.Memory.Agent;

/// <summary>
/// The guest side's brain. Sysfs is the truth: every reconcile rebuilds the model from it, onlines what the policy
/// says, and publishes what changed. Reconciles come from uevents (coalesced over a short settle delay, since a DIMM's
/// blocks arrive one by one), from a periodic resync, and from requests. Nothing but bookkeeping of its own
/// operations lives only here: blocks held offline for an unplug, blocks someone else offlined (left alone), busy DIMMs.
/// </summary>
public sealed class MemoryAgent
{
    /// <summary>How many times to look again for blocks that are offline but not yet linked to their ACPI DIMM.</summary>
    private const int MaxUnmappedRechecks = 5;

    private readonly MemoryAgentOptions _options;
    private readonly SysfsMemoryReader _reader;
    private readonly OnlineExecutor _executor;
    private readonly UnplugPreparer _preparer;
    private readonly BootInventory _bootInventory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _state = new();
    private readonly Channel<string> _triggers = Channel.CreateBounded<string>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    private readonly TaskCompletionSource _modelReady = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<string, BusyOperation> _busy = new(StringComparer.Ordinal);
    private readonly HashSet<int> _busyBlocks = [];
    private readonly HashSet<int> _heldOffline = [];
    private readonly HashSet<int> _leftOffline = [];
    private readonly Dictionary<int, BlockOutcome> _lastOutcomes = [];
    private MemorySnapshot _snapshot = MemorySnapshot.Empty(new HotplugSettings(), []);
    private IReadOnlyDictionary<string, DimmReadiness> _readiness = new Dictionary<string, DimmReadiness>();
    private OnlinePolicy _policy;
    private IReadOnlySet<int>? _bootSlots;
    private int _unmappedRechecks;
    private readonly string _markerPath;
    private readonly Lock _marker = new();
    private string? _markerWord;
    private readonly string _autoOnlinePath;
    private string? _autoOnlineBefore;
    private bool _autoOnlineUnavailable;
    private volatile bool _running;

    public MemoryAgent(MemoryAgentOptions options, IBlockStateWriter writer, ILogger<MemoryAgent> logger, TimeProvider? time = null)
    {
        _options = options;
        _policy = options.ToPolicy();
        _reader = new SysfsMemoryReader(options.ToSysfsRoot());
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _executor = new OnlineExecutor(_reader, writer, new OnceLog(logger), logger);
        _preparer = new UnplugPreparer(writer, _time, logger);
        _bootInventory = new BootInventory(options.RuntimeDirectory, logger);
        _markerPath = Path.Combine(options.RuntimeDirectory, OnliningMarkerFileName);
        _autoOnlinePath = Path.Combine(options.ToSysfsRoot().MemoryDirectory, "auto_online_blocks");
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

    public MemoryAgentView View
    {
        get
        {
            lock (_state)
            {
                return new MemoryAgentView(_snapshot, _policy, _readiness, new Dictionary<int, BlockOutcome>(_lastOutcomes));
            }
        }
    }

    /// <summary>
    /// The file the udev drop-in reads: while the daemon onlines memory it holds the state word the policy picks for new
    /// memory, and udev onlines new blocks with it (before distribution rules can online them into the kernel zone).
    /// Absent while the policy is <c>none</c> and after the agent stops.
    /// </summary>
    public const string OnliningMarkerFileName = "onlining-active";

    /// <summary>Runs until cancelled: first reconcile, then uevents and resyncs.</summary>
    public async Task RunAsync(IUeventSource uevents, CancellationToken cancellationToken)
    {
        _running = true;
        UpdateOnliningMarker();
        try
        {
            await RunLoopAsync(uevents, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _running = false;
            lock (_marker)
            {
                TryDelete(_markerPath);
                _markerWord = null;
            }

            UpdateKernelAutoOnline(Policy);
        }
    }

    private async Task RunLoopAsync(IUeventSource uevents, CancellationToken cancellationToken)
    {
        await ReconcileAsync("start", cancellationToken).ConfigureAwait(false);
        var pump = PumpUeventsAsync(uevents, cancellationToken);
        var resync = ResyncAsync(cancellationToken);
        try
        {
            await ProcessTriggersAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }

        await Task.WhenAll(pump, resync).ConfigureAwait(false);
    }

    /// <summary>Asks for a reconcile soon (coalesced with any already pending).</summary>
    public void RequestReconcile(string reason) => _triggers.Writer.TryWrite(reason);

    /// <summary>Reads sysfs, onlines per policy, publishes changes. Serialized with other reconciles.</summary>
    public async Task<MemoryAgentView> ReconcileAsync(string reason, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _logger.LogDebug("Reconcile ({Reason})", reason);
            var snapshot = ReadSnapshot();
            TrackOutsideChanges(snapshot);
            OnlinePolicy policy;
            lock (_state)
            {
                policy = _policy;
            }

            var plans = OnlinePlanner.Plan(snapshot, policy, IsEligible);
            foreach (var plan in plans)
            {
                _logger.LogInformation("Onlining {Count} block(s) of {Dimm} into {Zone}: {Reason}", plan.BlockIds.Count, plan.Dimm.Id, plan.Zone, plan.Reason);
                var outcomes = await _executor.ExecuteAsync(plan, cancellationToken).ConfigureAwait(false);
                lock (_state)
                {
                    foreach (var outcome in outcomes)
                    {
                        _lastOutcomes[outcome.BlockId] = outcome;
                    }
                }
            }

            if (plans.Count > 0)
            {
                snapshot = ReadSnapshot();
            }

            Publish(snapshot);
            _modelReady.TrySetResult();
            UpdateOnliningMarker();

            ScheduleRecheckIfUnmapped(snapshot);
            return View;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Offlines a DIMM's blocks ahead of unplug, with rollback; the DIMM is then held offline until it is gone or cancelled.</summary>
    public async Task<DimmOperationResult> PrepareUnplugAsync(DimmSelector selector, CancellationToken cancellationToken)
    {
        var (snapshot, dimm, operation) = await BeginAsync(selector, "preparing unplug", cancellationToken).ConfigureAwait(false);
        var result = new DimmOperationResult(dimm.Id, DimmOperationResult.PrepareUnplug, false, "interrupted", []);
        try
        {
            var limit = _options.OfflineTimeout == TimeSpan.Zero ? Timeout.InfiniteTimeSpan : _options.OfflineTimeout;
            result = await _preparer.OfflineAsync(snapshot, dimm, limit, operation.Cancellation.Token).ConfigureAwait(false);
        }
        finally
        {
            await EndAsync(dimm, result, holdOffline: result.Succeeded).ConfigureAwait(false);
            operation.Cancellation.Dispose();
        }

        Raise([new AgentEvent(AgentEventKind.PrepareUnplugFinished, dimm.Id) { Operation = result }]);
        return result;
    }

    /// <summary>Stops a running prepare (it rolls back) or re-onlines a prepared DIMM; either way the DIMM is usable again.</summary>
    public async Task<DimmOperationResult> CancelUnplugAsync(DimmSelector selector, CancellationToken cancellationToken)
    {
        BusyOperation? running = null;
        var current = ReadSnapshot();
        var target = Resolve(current, selector);
        lock (_state)
        {
            if (_busy.TryGetValue(target.Id, out var busy) && busy.Reason == "preparing unplug")
            {
                running = busy;
            }
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

        var (snapshot, dimm, operation) = await BeginAsync(selector, "re-onlining", cancellationToken).ConfigureAwait(false);
        var result = new DimmOperationResult(dimm.Id, DimmOperationResult.CancelUnplug, false, "interrupted", []);
        try
        {
            var zone = Policy.Kind == OnlinePolicyKind.Kernel ? BlockStateRequest.Online : BlockStateRequest.OnlineMovable;
            result = await _preparer.OnlineAgainAsync(snapshot, dimm, zone, operation.Cancellation.Token).ConfigureAwait(false);
        }
        finally
        {
            await EndAsync(dimm, result, holdOffline: false).ConfigureAwait(false);
            operation.Cancellation.Dispose();
        }

        Raise([new AgentEvent(AgentEventKind.CancelUnplugFinished, dimm.Id) { Operation = result }]);
        return result;
    }

    public void SetPolicy(OnlinePolicy policy)
    {
        lock (_state)
        {
            _policy = policy;
        }

        UpdateOnliningMarker();
        _logger.LogInformation("Policy set to {Policy}", policy);
        Raise([new AgentEvent(AgentEventKind.PolicyChanged, "policy")]);
        RequestReconcile("policy changed");
    }

    /// <summary>
    /// Keeps the udev marker in step with the policy while the agent runs (not for a one-shot <c>scan --apply</c>);
    /// written only when the word changes.
    /// </summary>
    private void UpdateOnliningMarker()
    {
        if (!_running)
        {
            return;
        }

        MemorySnapshot snapshot;
        OnlinePolicy policy;
        lock (_state)
        {
            (snapshot, policy) = (_snapshot, _policy);
        }

        UpdateKernelAutoOnline(policy);
        var word = OnlinePlanner.WordForNewMemory(snapshot, policy);
        lock (_marker)
        {
            if (word == _markerWord && (word is null || File.Exists(_markerPath)))
            {
                return;
            }

            try
            {
                if (word is null)
                {
                    TryDelete(_markerPath);
                }
                else
                {
                    Directory.CreateDirectory(_options.RuntimeDirectory);
                    var temporary = _markerPath + ".new";
                    File.WriteAllText(temporary, word);
                    File.Move(temporary, _markerPath, overwrite: true);
                }

                _markerWord = word;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _logger.LogWarning("Cannot write {Marker} ({Reason}); udev's rule may online new memory too", _markerPath, e.Message);
            }
        }
    }

    /// <summary>
    /// The kernel's own onlining as the fast path: while the agent runs with policy <c>movable</c>,
    /// <c>auto_online_blocks</c> is <c>online_movable</c>, so hot-added blocks are Movable before any uevent is handled
    /// (and before a distribution's udev rule can online them into the kernel zone). Only for <c>movable</c>: the
    /// kernel cannot apply the other policies' per-DIMM decisions. A kernel that refuses the value is noted once.
    /// </summary>
    private void UpdateKernelAutoOnline(OnlinePolicy policy)
    {
        if (!_options.KernelAutoOnline)
        {
            return;
        }

        lock (_marker)
        {
            var wanted = _running && policy.Kind == OnlinePolicyKind.Movable;
            if (wanted && _autoOnlineBefore is null && !_autoOnlineUnavailable)
            {
                try
                {
                    var current = File.ReadAllText(_autoOnlinePath).Trim();
                    if (current != "online_movable")
                    {
                        File.WriteAllText(_autoOnlinePath, "online_movable");
                        _autoOnlineBefore = current;
                        _logger.LogInformation("The kernel onlines hot-added memory as movable itself (auto_online_blocks: {Before} -> online_movable)", current);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    _autoOnlineUnavailable = true;
                    _logger.LogInformation("auto_online_blocks cannot be set to online_movable ({Reason}); the agent onlines new memory itself", e.Message);
                }
            }
            else if (!wanted && _autoOnlineBefore is { } before)
            {
                try
                {
                    File.WriteAllText(_autoOnlinePath, before);
                    _logger.LogInformation("auto_online_blocks restored to {Before}", before);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    _logger.LogWarning("Cannot restore auto_online_blocks to {Before}: {Reason}", before, e.Message);
                }

                _autoOnlineBefore = null;
            }
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not there, or not ours to remove.
        }
    }

    private async Task<(MemorySnapshot Snapshot, Dimm Dimm, BusyOperation Operation)> BeginAsync(
        DimmSelector selector, string reason, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var snapshot = ReadSnapshot();
            TrackOutsideChanges(snapshot);
            var dimm = Resolve(snapshot, selector);
            if (dimm.Kind == DimmKind.Boot)
            {
                throw new MemoryOperationException(MemoryOperationError.NotRemovable, $"{dimm.Id} is boot memory and cannot be unplugged");
            }

            var operation = new BusyOperation(reason, CancellationTokenSource.CreateLinkedTokenSource(cancellationToken));
            lock (_state)
            {
                if (_busy.TryGetValue(dimm.Id, out var running))
                {
                    operation.Cancellation.Dispose();
                    throw new MemoryOperationException(MemoryOperationError.Busy, $"{dimm.Id} is busy: {running.Reason}");
                }

                _busy[dimm.Id] = operation;
                _busyBlocks.UnionWith(dimm.BlockIds);
                _heldOffline.UnionWith(dimm.BlockIds);
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
                _busy.Remove(dimm.Id, out operation);
                _busyBlocks.ExceptWith(dimm.BlockIds);
                if (!holdOffline)
                {
                    _heldOffline.ExceptWith(dimm.BlockIds);
                }

                foreach (var outcome in result.Blocks)
                {
                    _lastOutcomes[outcome.BlockId] = outcome;
                }
            }

            Publish(ReadSnapshot());
            operation?.Finished.TrySetResult();
        }
        finally
        {
            _gate.Release();
        }
    }

    private static Dimm Resolve(MemorySnapshot snapshot, DimmSelector selector)
    {
        if (selector.Slot is { } slot)
        {
            return snapshot.FindDimmBySlot(slot)
                   ?? throw new MemoryOperationException(MemoryOperationError.NotFound, $"no DIMM in slot {slot}");
        }

        if (selector.Id is { } id)
        {
            return snapshot.FindDimmById(id)
                   ?? throw new MemoryOperationException(MemoryOperationError.NotFound, $"no DIMM '{id}'");
        }

        var (start, size) = (selector.Start ?? 0, selector.Size ?? 0);
        try
        {
            _ = ReadinessEvaluator.EvaluateRange(snapshot, start, size);
        }
        catch (ArgumentException e)
        {
            throw new MemoryOperationException(MemoryOperationError.BadArgument, e.Message);
        }

        var first = start / snapshot.BlockSize;
        var last = ((start + size) / snapshot.BlockSize) - 1;
        var blocks = snapshot.Blocks.Where(b => b.Index >= first && b.Index <= last).ToList();
        if (blocks.Count == 0)
        {
            throw new MemoryOperationException(MemoryOperationError.NotFound, $"no memory blocks in {selector}");
        }

        var bootBlocks = snapshot.Dimms.Where(d => d.Kind == DimmKind.Boot).SelectMany(d => d.BlockIds).ToHashSet();
        return new Dimm
        {
            Id = $"range@0x{start:x}+0x{size:x}",
            Kind = blocks.Any(b => bootBlocks.Contains(b.Id)) ? DimmKind.Boot : DimmKind.Range,
            StartAddress = start,
            SizeBytes = size,
            BlockIds = blocks.ConvertAll(b => b.Id),
        };
    }

    private MemorySnapshot ReadSnapshot()
    {
        var snapshot = _reader.Read(_bootSlots);
        if (_bootSlots is null)
        {
            var present = snapshot.Dimms.Where(d => d.Kind == DimmKind.Acpi && d.Slot is not null).Select(d => d.Slot!.Value);
            _bootSlots = _bootInventory.LoadOrRecord(present);
            snapshot = snapshot with { Dimms = Mapping.DimmMapper.Map(snapshot.Blocks, snapshot.AcpiDevices, snapshot.BlockSize, _bootSlots) };
        }

        return snapshot;
    }

    /// <summary>
    /// A block that went offline without the agent offlining it (an admin, the kernel's own ACPI eject) is left offline;
    /// one that came back online, or was removed, is forgotten.
    /// </summary>
    private void TrackOutsideChanges(MemorySnapshot snapshot)
    {
        MemorySnapshot previous;
        lock (_state)
        {
            previous = _snapshot;
        }

        var present = new HashSet<int>(snapshot.Blocks.Count);
        lock (_state)
        {
            foreach (var block in snapshot.Blocks)
            {
                present.Add(block.Id);
                if (block.State == BlockState.Online)
                {
                    _leftOffline.Remove(block.Id);
                }
                else if (block.State == BlockState.Offline
                         && !_heldOffline.Contains(block.Id)
                         && previous.FindBlock(block.Id) is { State: BlockState.Online or BlockState.GoingOffline }
                         && _leftOffline.Add(block.Id))
                {
                    _logger.LogInformation("{Block} was offlined outside the agent; leaving it offline", block.Name);
                }
            }

            _leftOffline.RemoveWhere(id => !present.Contains(id));
            _heldOffline.RemoveWhere(id => !present.Contains(id));
            foreach (var id in _lastOutcomes.Keys.Where(id => !present.Contains(id)).ToList())
            {
                _lastOutcomes.Remove(id);
            }
        }
    }

    private bool IsEligible(MemoryBlock block)
    {
        lock (_state)
        {
            return !_heldOffline.Contains(block.Id) && !_leftOffline.Contains(block.Id) && !_busyBlocks.Contains(block.Id);
        }
    }

    private void Publish(MemorySnapshot snapshot)
    {
        IReadOnlyList<AgentEvent> events;
        lock (_state)
        {
            var readiness = new Dictionary<string, DimmReadiness>(StringComparer.Ordinal);
            foreach (var dimm in snapshot.Dimms)
            {
                readiness[dimm.Id] = ReadinessEvaluator.Evaluate(snapshot, dimm, _busy.TryGetValue(dimm.Id, out var busy) ? busy.Reason : null);
            }

            events = SnapshotDiff.Compute(_snapshot, _readiness, snapshot, readiness);
            _snapshot = snapshot;
            _readiness = readiness;
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
        var unmapped = snapshot.AcpiDevices.Count > 0 && snapshot.Dimms
            .Where(d => d.Kind == DimmKind.Boot)
            .SelectMany(snapshot.BlocksOf)
            .Any(b => b.State == BlockState.Offline && IsEligible(b));
        if (!unmapped)
        {
            _unmappedRechecks = 0;
            return;
        }

        if (_unmappedRechecks++ < MaxUnmappedRechecks)
        {
            _ = Task.Delay(TimeSpan.FromSeconds(1), _time).ContinueWith(
                _ => RequestReconcile("offline blocks not yet linked to a DIMM"), TaskScheduler.Default);
        }
        else if (_unmappedRechecks == MaxUnmappedRechecks + 1)
        {
            _logger.LogWarning("Some offline blocks belong to no ACPI memory device; leaving them offline");
        }
    }

    private async Task PumpUeventsAsync(IUeventSource uevents, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var uevent in uevents.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (uevent.IsOverflow)
                {
                    _logger.LogWarning("Kernel uevents were lost (receive buffer overflow); rescanning everything");
                    RequestReconcile("uevent overflow");
                }
                else if (uevent.IsMemoryBlock(out var blockId))
                {
                    _logger.LogDebug("uevent {Action} {Block}", uevent.Action, MemoryBlockName.Format(blockId));
                    RequestReconcile($"uevent {uevent.Action} {MemoryBlockName.Format(blockId)}");
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task ResyncAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.ResyncInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                RequestReconcile("periodic resync");
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task ProcessTriggersAsync(CancellationToken cancellationToken)
    {
        while (await _triggers.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_options.SettleDelay > TimeSpan.Zero)
            {
                await Task.Delay(_options.SettleDelay, _time, cancellationToken).ConfigureAwait(false);
            }

            _triggers.Reader.TryRead(out var reason);
            try
            {
                await ReconcileAsync(reason ?? "event", cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _logger.LogError(e, "Reconcile failed; the next event or resync tries again");
            }
        }
    }

    private sealed class BusyOperation(string reason, CancellationTokenSource cancellation)
    {
        public string Reason { get; } = reason;

        public CancellationTokenSource Cancellation { get; } = cancellation;

        public TaskCompletionSource Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
