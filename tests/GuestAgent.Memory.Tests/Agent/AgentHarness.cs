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
        Agent.Changed += e => Events.Add(e);
    }

    public FakeSysfsTree Tree { get; } = new();

    public FakeProcTree Proc { get; } = new();

    public FakeKernelBlockStateWriter Writer { get; }

    public FakeUeventSource Uevents { get; } = new();

    public RecordingLogger<MemoryAgent> Logger { get; } = new();

    public MemoryAgent Agent { get; }

    public System.Collections.Concurrent.ConcurrentBag<AgentEvent> Events { get; } = [];

    public string RuntimeDirectory => _runtime.Path;

    public async Task StartAsync()
    {
        _running = Agent.RunAsync(Uevents, _stop.Token);
        await Eventually.TrueAsync(() => Agent.View.Snapshot.Blocks.Count > 0, "first reconcile");
    }

    /// <summary>
    /// Waits until the agent has published a model in which the block is online in <paramref name="zone"/>: that
    /// happens after every write of the reconcile, so the writes and the view are complete when this returns.
    /// </summary>
    public Task WaitForZoneAsync(int blockId, string zone) =>
        Eventually.TrueAsync(
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
