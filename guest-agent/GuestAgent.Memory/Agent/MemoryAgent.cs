using GuestAgent.Memory.Capacity;
using GuestAgent.Memory.Model;
using GuestAgent.Memory.Operations;
using GuestAgent.Memory.Policy;
using GuestAgent.Memory.Proc;
using GuestAgent.Memory.Sysfs;
using GuestAgent.Memory.Udev;
using GuestAgent.Memory.Uevents;
using GuestAgent.Memory.Writing;
using Microsoft.Extensions.Logging;

namespace GuestAgent.Memory.Agent;

/// <summary>
/// The guest side's core, composed: the <see cref="Reconciler"/> keeps the model and the onlining in step with sysfs
/// (when, the <see cref="ReconcileLoop"/> says), every DIMM operation goes through <see cref="DimmOperations"/>, a
/// start-up <see cref="StartupRecovery"/> onlines what an agent that died left offline, and the
/// <see cref="AgentPublisher"/> publishes the view and raises the events in order. This class wires them and runs them.
/// </summary>
public sealed class MemoryAgent
{
    /// <summary>The file the udev drop-in reads (see <see cref="KernelOnliningSettings"/>).</summary>
    public const string OnliningMarkerFileName = KernelOnliningSettings.MarkerFileName;

    private readonly AgentState _state;
    private readonly AgentPublisher _publisher;
    private readonly Reconciler _reconciler;
    private readonly DimmOperations _operations;
    private readonly StartupRecovery _recovery;
    private readonly KernelOnliningSettings _settings;
    private readonly ReconcileLoop _loop;
    private readonly IBlockStateWriter _writer;
    private readonly SnapshotSource _snapshots;
    private readonly ILogger _logger;
    private readonly CapacityReader _capacity;
    private readonly TaskCompletionSource _modelReady = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public MemoryAgent(MemoryAgentOptions options, IBlockStateWriter writer, ILogger<MemoryAgent> logger, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        _logger = logger;
        _writer = writer;
        var reserve = options.UnplugReserveBytes;
        var reader = new SysfsMemoryReader(options.ToSysfsRoot(), iomemPath: options.ToProcRoot().Iomem);
        var capacity = _capacity = new CapacityReader(options.ToProcRoot());
        var journal = new UnplugJournal(options.RuntimeDirectory, logger);
        var preparer = new UnplugPreparer(writer, logger);
        _state = new AgentState(options.ToPolicy());
        _settings = new KernelOnliningSettings(writer, options.RuntimeDirectory, options.KernelAutoOnline, logger);
        _loop = new ReconcileLoop(options.SettleDelay, options.ResyncInterval, time, logger);
        _snapshots = new SnapshotSource(reader, new BootInventory(options.RuntimeDirectory, logger));
        var empty = AgentViewBuilder.Build(MemorySnapshot.Empty(new HotplugSettings(), []), _state.Policy, CapacitySample.Unknown("not read yet"), reserve);
        _publisher = new AgentPublisher(capacity, BuildView, empty, logger);
        _reconciler = new Reconciler(_state, _snapshots, new OnlineExecutor(reader, writer, new OnceLog(logger), logger), new UdevRuleScanner(options.ToUdevRuleDirectories()),
            journal, _settings, _loop, _publisher, logger);
        _operations = new DimmOperations(_state, _snapshots, _reconciler, _publisher, preparer, journal, new OomProtection(options.ToProcRoot(), logger), capacity, options, time, logger);
        _recovery = new StartupRecovery(_state, _snapshots, preparer, journal, time, logger);

        MemoryAgentView BuildView(MemorySnapshot snapshot, CapacitySample sample)
        {
            lock (_state.Lock)
            {
                return AgentViewBuilder.Build(snapshot, _state.Policy, sample, reserve, _state.Book, _state.Rules, _settings.AutoOnlineSetByAgent);
            }
        }
    }

    /// <summary>Completes when the first reconcile has built the model: serve nobody an empty model before that.</summary>
    public Task ModelReady => _modelReady.Task;

    /// <summary>Raised after each change, in order (see <see cref="AgentPublisher"/>).</summary>
    public event Action<AgentEvent>? Changed
    {
        add => _publisher.Changed += value;
        remove => _publisher.Changed -= value;
    }

    public OnlinePolicy Policy => _state.CurrentPolicy;

    /// <summary>The view as of the last reconcile or refresh.</summary>
    public MemoryAgentView View => _publisher.View;

    /// <summary>Whether the reconcile loop is turning (for a watchdog): idle, or in a turn younger than <paramref name="within"/>.</summary>
    public bool IsLoopAlive(TimeSpan within) => _loop.IsAlive(within);

    /// <summary>Runs until cancelled: recovery of what an earlier agent left half done, first reconcile, then uevents and resyncs.</summary>
    public async Task RunAsync(IUeventSource uevents, CancellationToken cancellationToken)
    {
        _reconciler.Running = true;
        _reconciler.AutoOnlineAtStart = _writer.ReadAutoOnlineBlocks();
        _settings.Apply(View.Snapshot, Policy);
        try
        {
            await _recovery.RecoverAsync(cancellationToken).ConfigureAwait(false);
            await ReconcileAsync("start", cancellationToken).ConfigureAwait(false);
            await _loop.RunAsync(uevents, ReconcileAsync, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            _reconciler.Running = false;
            _settings.Release();
        }
    }

    /// <summary>Asks for a reconcile soon (coalesced with any already pending).</summary>
    public void RequestReconcile(string reason) => _loop.Request(reason);

    /// <summary>Reads sysfs, onlines per policy, publishes changes. Serialized with other reconciles.</summary>
    public async Task<MemoryAgentView> ReconcileAsync(string reason, CancellationToken cancellationToken)
    {
        var view = await _reconciler.ReconcileAsync(reason, cancellationToken).ConfigureAwait(false);
        _modelReady.TrySetResult();
        return view;
    }

    /// <summary>
    /// Publishes readiness with a fresh reading of the guest's memory accounting (without rereading sysfs): what a DIMM
    /// holds and what the rest can take change with every allocation, so a host asking gets them as of now.
    /// </summary>
    public MemoryAgentView RefreshCapacity() => _publisher.Publish(View.Snapshot);

    /// <summary>PSI for memory now; null where the kernel has none.</summary>
    public MemoryPressure? ReadPressure() => _capacity.ReadPressure();

    /// <inheritdoc cref="DimmOperations.PrepareUnplugAsync"/>
    public Task<DimmOperationResult> PrepareUnplugAsync(DimmSelector selector, CancellationToken cancellationToken, bool force = false) =>
        _operations.PrepareUnplugAsync(selector, force, cancellationToken);

    /// <inheritdoc cref="DimmOperations.CancelUnplugAsync"/>
    public Task<DimmOperationResult> CancelUnplugAsync(DimmSelector selector, CancellationToken cancellationToken) =>
        _operations.CancelUnplugAsync(selector, cancellationToken);

    /// <inheritdoc cref="DimmOperations.MakeMovableAsync"/>
    public Task<DimmOperationResult> MakeMovableAsync(DimmSelector selector, CancellationToken cancellationToken, bool force = false) =>
        _operations.MakeMovableAsync(selector, force, cancellationToken);

    public void SetPolicy(OnlinePolicy policy)
    {
        lock (_state.Lock)
        {
            _state.Policy = policy;
        }

        if (_reconciler.Running)
        {
            _settings.Apply(View.Snapshot, policy);
        }

        _logger.LogInformation("Policy set to {Policy}", policy);
        _publisher.Publish(View.Snapshot);
        _publisher.Raise(new AgentEvent(AgentEventKind.PolicyChanged, "policy"));
        RequestReconcile("policy changed");
    }

    internal static string FoundInKernelZoneReason(string? autoOnlineAtStart) => Reconciler.FoundInKernelZoneReason(autoOnlineAtStart);
}
