using GuestAgent.Host.Operations;
using GuestAgent.Host.State;
using GuestAgent.Host.Tests.Support;
using GuestAgent.TestSupport;

namespace GuestAgent.Host.Tests.Operations;

/// <summary>A simulated QEMU, a scripted agent, a state folder, and controllers opened on them.</summary>
public sealed class ControllerHarness : IAsyncDisposable
{
    private readonly TemporaryDirectory _dir = new();

    public ControllerHarness()
    {
        Qemu = new SimulatedQemu();
        Agent = new ScriptedAgent(Qemu);
    }

    public SimulatedQemu Qemu { get; }

    public ScriptedAgent Agent { get; }

    public StringWriter Output { get; } = new();

    public string StatePath => Path.Combine(_dir.Path, "vm.dimms.json");

    public string LockDirectory => Path.Combine(_dir.Path, "locks");

    /// <summary>The options every CLI test gives: this harness's QEMU, state file and lock folder.</summary>
    public string[] CliOptions(bool withAgent = false) =>
        ["--qmp", Qemu.Path, "--state", StatePath, "--lock-dir", LockDirectory, .. withAgent ? new[] { "--agent", Agent.Path } : []];

    public HostOptions Options(bool withAgent = true) => new()
    {
        QmpPath = Qemu.Path, AgentPath = withAgent ? Agent.Path : null, StatePath = StatePath, MaxMemory = 4L << 30,
        StateDirectory = Path.Combine(_dir.Path, "state"), LockDirectory = Path.Combine(_dir.Path, "locks"),
        AgentTimeout = TimeSpan.FromSeconds(2), UnplugTimeout = TimeSpan.FromSeconds(2), OnlineTimeout = TimeSpan.FromSeconds(2),
    };

    public Task<HostController> OpenAsync(bool withAgent = true) =>
        HostController.OpenAsync(Options(withAgent), Output, TestContext.Current.CancellationToken);

    public ControllerState SavedState() => new StateStore(StatePath).Load();

    public async ValueTask DisposeAsync()
    {
        await Agent.DisposeAsync();
        await Qemu.DisposeAsync();
        _dir.Dispose();
    }
}
