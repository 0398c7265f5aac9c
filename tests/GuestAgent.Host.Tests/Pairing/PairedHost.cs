using GuestAgent.Host.Operations;
using GuestAgent.Host.Tests.Support;
using GuestAgent.TestSupport;

namespace GuestAgent.Host.Tests.Pairing;

/// <summary>A simulated QEMU with the real agent behind it (<see cref="SimulatedGuest"/>), a state folder, and controllers opened on them.</summary>
public sealed class PairedHost : IAsyncDisposable
{
    private readonly TemporaryDirectory _dir = new();
    private bool _started;

    /// <param name="virtioMem">Gives the VM a virtio-mem device, its driver played by the guest.</param>
    /// <param name="oneHostAtATime">The agent's channel takes one host at a time, as QEMU's chardev socket does.</param>
    /// <param name="maxMemory">QEMU's own maxmem (the options always say 4 GiB).</param>
    /// <param name="settleDelay">How long the agent lets uevents settle before it reconciles.</param>
    public PairedHost(bool virtioMem = false, bool oneHostAtATime = false, long maxMemory = 4L << 30, TimeSpan? settleDelay = null)
    {
        Qemu = new SimulatedQemu(maxMemory: maxMemory) { VirtioMem = virtioMem ? new SimulatedVirtioMem() : null };
        Guest = new SimulatedGuest(Qemu, oneHostAtATime, settleDelay);
        if (virtioMem)
        {
            Guest.AttachVirtioMem(Qemu);
        }
    }

    public SimulatedQemu Qemu { get; }

    public SimulatedGuest Guest { get; }

    public StringWriter Output { get; } = new();

    /// <summary>The options every controller here is opened with.</summary>
    public HostOptions Options => new()
    {
        QmpPath = Qemu.Path, AgentPath = Guest.Path, StatePath = Path.Combine(_dir.Path, "vm.json"), MaxMemory = 4L << 30,
        StateDirectory = Path.Combine(_dir.Path, "state"), LockDirectory = Path.Combine(_dir.Path, "locks"),
        AgentTimeout = TimeSpan.FromSeconds(10), UnplugTimeout = TimeSpan.FromSeconds(10), OnlineTimeout = TimeSpan.FromSeconds(10),
        ResizeStallTimeout = TimeSpan.FromSeconds(1.5),
    };

    /// <summary>Starts the guest, the first time.</summary>
    public async Task StartAsync()
    {
        if (!_started)
        {
            await Guest.StartAsync();
            _started = true;
        }
    }

    /// <summary>Starts the guest (the first time) and opens a controller on both; <paramref name="time"/> is the controller's clock.</summary>
    public async Task<HostController> OpenAsync(TimeProvider? time = null, string command = "a command")
    {
        await StartAsync();
        return await HostController.OpenAsync(Options with { Command = command }, Output, TestContext.Current.CancellationToken, time);
    }

    public async ValueTask DisposeAsync()
    {
        await Guest.DisposeAsync();
        await Qemu.DisposeAsync();
        _dir.Dispose();
        Output.Dispose();
    }
}
