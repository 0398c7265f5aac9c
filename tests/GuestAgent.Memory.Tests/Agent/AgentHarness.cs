using GuestAgent.Memory.Agent;
using GuestAgent.TestSupport;

namespace GuestAgent.Memory.Tests.Agent;

/// <summary>A running <see cref="MemoryAgent"/> over a fake tree, fake kernel writer and fake uevents.</summary>
internal sealed class AgentHarness : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly TemporaryDirectory _runtime = new();
    private Task? _running;

    public AgentHarness(Action<FakeSysfsTree> build, string policy = "movable")
    {
        build(Tree);
        Writer = new FakeKernelBlockStateWriter(Tree);
        Agent = new MemoryAgent(
            new MemoryAgentOptions
            {
                SysfsRoot = Tree.RootPath,
                ProcRoot = Proc.RootPath,
                UdevRuleDirectories = [_runtime.Path],
                RuntimeDirectory = _runtime.Path,
                Policy = policy,
                SettleDelay = TimeSpan.FromMilliseconds(10),
                ResyncInterval = TimeSpan.FromHours(1),
                OfflineTimeout = TimeSpan.FromSeconds(30),
            },
            Writer,
            Logger);
        Agent.Changed += OnChanged;
    }

    public FakeSysfsTree Tree { get; } = new();

    public FakeProcTree Proc { get; } = new();

    public FakeKernelBlockStateWriter Writer { get; }

    public FakeUeventSource Uevents { get; } = new();

    public RecordingLogger<MemoryAgent> Logger { get; } = new();

    public MemoryAgent Agent { get; }

    /// <summary>Every event, in the order the agent raised them.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<AgentEvent> Events { get; } = new();

    private readonly Lock _waiting = new();
    private readonly List<(Func<bool> Done, TaskCompletionSource Seen)> _waiters = [];

    /// <summary>
    /// Completes once <paramref name="done"/> holds, checked now and after every event the agent raises (it raises them
    /// after publishing the view they describe): a test waits on the agent's own signal, not on a clock.
    /// </summary>
    public async Task WhenAsync(Func<bool> done, string what)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiting)
        {
            _waiters.Add((done, seen));
        }

        OnChanged(null);
        try
        {
            await seen.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"not seen in 30 s: {what}");
        }
    }

    private void OnChanged(AgentEvent? e)
    {
        if (e is not null)
        {
            Events.Enqueue(e);
        }

        lock (_waiting)
        {
            foreach (var waiter in _waiters.Where(w => w.Done()).ToList())
            {
                waiter.Seen.TrySetResult();
                _waiters.Remove(waiter);
            }
        }
    }

    public string RuntimeDirectory => _runtime.Path;

    public async Task StartAsync()
    {
        _running = Agent.RunAsync(Uevents, _stop.Token);
        await Agent.ModelReady.WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// Waits until the agent has published a model in which the block is online in <paramref name="zone"/>: that
    /// happens after every write of the reconcile, so the writes and the view are complete when this returns.
    /// </summary>
    public Task WaitForZoneAsync(int blockId, string zone) =>
        WhenAsync(
            () => Agent.View.Snapshot.FindBlock(blockId)?.Zone == zone,
            $"memory{blockId} online in {zone} in the agent's model (sysfs says {Tree.ReadState(blockId)} {Tree.ReadZones(blockId)})");

    /// <summary>Stops the agent as the host would (the tree stays for checks).</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        if (_running is not null)
        {
            await _running;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();

        Tree.Dispose();
        Proc.Dispose();
        _runtime.Dispose();
        _stop.Dispose();
    }
}
