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
    public PairedHost(bool virtioMem = false)
    {
        Qemu = new SimulatedQemu { VirtioMem = virtioMem ? new SimulatedVirtioMem() : null };
        Guest = new SimulatedGuest(Qemu);
        if (virtioMem)
        {
            Guest.AttachVirtioMem(Qemu);
        }
    }

    public SimulatedQemu Qemu { get; }

    public SimulatedGuest Guest { get; }

    public StringWriter Output { get; } = new();

    /// <summary>Starts the guest (the first time) and opens a controller on both; <paramref name="time"/> is the controller's clock.</summary>
    public async Task<HostController> OpenAsync(TimeProvider? time = null)
    {
        if (!_started)
        {
            await Guest.StartAsync();
            _started = true;
        }

        return await HostController.OpenAsync(
            new HostOptions
            {
                QmpPath = Qemu.Path, AgentPath = Guest.Path, StatePath = Path.Combine(_dir.Path, "vm.json"), MaxMemory = 4L << 30,
                StateDirectory = Path.Combine(_dir.Path, "state"), LockDirectory = Path.Combine(_dir.Path, "locks"),
                AgentTimeout = TimeSpan.FromSeconds(10), UnplugTimeout = TimeSpan.FromSeconds(10), OnlineTimeout = TimeSpan.FromSeconds(10),
                ResizeStallTimeout = TimeSpan.FromSeconds(1.5),
            },
            Output,
            TestContext.Current.CancellationToken,
            time);
    }

    public async ValueTask DisposeAsync()
    {
        await Guest.DisposeAsync();
        await Qemu.DisposeAsync();
        _dir.Dispose();
        Output.Dispose();
    }
}
