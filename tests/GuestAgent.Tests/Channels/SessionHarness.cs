using GuestAgent.Channels;
using GuestAgent.Memory.Agent;
using GuestAgent.Protocol.Client;
using GuestAgent.TestSupport;

namespace GuestAgent.Tests.Channels;

/// <summary>A real agent on a fake tree, served by a real <see cref="ProtocolSession"/> to a real <see cref="ProtocolClient"/> over a socket pair.</summary>
internal sealed class SessionHarness : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly TemporaryDirectory _runtime = new();
    private Task? _agent;
    private Task? _session;
    private SocketPair? _pair;

    public FakeSysfsTree Tree { get; } = new();

    public FakeProcTree Proc { get; } = new();

    public FakeKernelBlockStateWriter? Writer { get; private set; }

    public MemoryAgent? Agent { get; private set; }

    public ProtocolClient Client { get; private set; } = null!;

    /// <summary>The raw client end, for tests that send bytes the client would never send.</summary>
    public Stream Raw => _pair!.Client;

    public static async Task<SessionHarness> StartAsync(Action<FakeSysfsTree>? build = null, bool withClient = true, TimeProvider? sessionTime = null)
    {
        var h = new SessionHarness();
        (build ?? (t => t.AddBootMemory(8).AddDimm(0, 32, 2, "online", "Movable").AddDimm(1, 34, 2, "online", "Normal")))(h.Tree);
        h.Writer = new FakeKernelBlockStateWriter(h.Tree);
        var options = new MemoryAgentOptions { SysfsRoot = h.Tree.RootPath, ProcRoot = h.Proc.RootPath, RuntimeDirectory = h._runtime.Path, SettleDelay = TimeSpan.FromMilliseconds(10), UdevRuleDirectories = [h._runtime.Path] };
        h.Agent = new MemoryAgent(options, h.Writer, new RecordingLogger<MemoryAgent>());
        h._agent = h.Agent.RunAsync(new FakeUeventSource(), h._stop.Token);
        await Eventually.TrueAsync(() => h.Agent.View.Snapshot.Blocks.Count > 0, "first reconcile");
        h._pair = await SocketPair.CreateAsync();
        var dispatcher = new CommandDispatcher(new Commands.AgentCommandService(h.Agent, options, TimeProvider.System), TimeProvider.System);
        var session = new ProtocolSession(new ChannelConnection(h._pair.Server, "test peer"), h.Agent, dispatcher, new ChannelOptions(), sessionTime ?? TimeProvider.System, new RecordingLogger());
        h._session = session.RunAsync(h._stop.Token);
        if (withClient)
        {
            h.Client = new ProtocolClient(h._pair.Client);
        }

        return h;
    }

    public Task SessionTask => _session!;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (Client is not null)
        {
            await Client.DisposeAsync();
        }

        await Task.WhenAll(_agent!, _session!);
        _pair!.Dispose();
        Tree.Dispose();
        Proc.Dispose();
        _runtime.Dispose();
    }
}
