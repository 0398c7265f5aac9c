using System.Net.Sockets;
using GuestAgent.Channels;
using GuestAgent.Commands;
using GuestAgent.Memory.Agent;
using GuestAgent.Memory.Model;
using GuestAgent.TestSupport;

namespace GuestAgent.Host.Tests.Support;

/// <summary>
/// A guest for the host tests made of the real agent: <see cref="MemoryAgent"/>, its typed command service, the
/// protocol dispatcher and one <see cref="ProtocolSession"/> per connection, on a fake sysfs tree and a fake proc tree
/// (1 GiB of boot memory), listening on a unix socket as QEMU's chardev would, and joined to a
/// <see cref="SimulatedQemu"/>: <c>device_add</c> adds the DIMM's blocks (offline) and its ACPI device and sends the
/// agent their uevents; <c>device_del</c> ejects a DIMM only when every block is offline (what the guest kernel does
/// after the agent prepared it), and is refused with <c>_OST</c> 0x82 otherwise. What the host controller gets is the
/// real agent's protocol, not a script. With <see cref="AttachVirtioMem"/> it also plays the virtio-mem driver: a
/// larger requested size plugs the device's units (2 MiB) into memory blocks it adds (offline, for the agent to online)
/// inside the device's region, listed in <c>/proc/iomem</c> whole while only the plugged units count in the zone's
/// managed pages (as the kernel keeps them); a smaller one unplugs from the top, taking a block away once none of it is
/// plugged, while it is offline or online Movable, and stops at the first in a kernel zone (the real driver's stall),
/// with no event saying so.
/// </summary>
public sealed class SimulatedGuest : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly TemporaryDirectory _dir = new();
    private readonly FakeUeventSource _uevents = new();
    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly List<Task> _running = [];
    private readonly MemoryAgentOptions _options;
    private readonly CommandDispatcher _dispatcher;
    private readonly bool _oneHostAtATime;

    /// <param name="qemu">The QEMU it is joined to.</param>
    /// <param name="oneHostAtATime">As QEMU's chardev socket: the next host is accepted only once the one connected has gone.</param>
    /// <param name="settleDelay">How long the agent lets uevents settle before it reconciles (10 ms unless given).</param>
    public SimulatedGuest(SimulatedQemu qemu, bool oneHostAtATime = false, TimeSpan? settleDelay = null)
    {
        _oneHostAtATime = oneHostAtATime;
        Tree.AddBootMemory(8);
        Writer = new FakeKernelBlockStateWriter(Tree, Proc);
        _options = new MemoryAgentOptions
        {
            SysfsRoot = Tree.RootPath, ProcRoot = Proc.RootPath, RuntimeDirectory = _dir.Path, UdevRuleDirectories = [_dir.Path],
            SettleDelay = settleDelay ?? TimeSpan.FromMilliseconds(10),
        };
        Agent = new MemoryAgent(_options, Writer, new RecordingLogger<MemoryAgent>());
        _dispatcher = new CommandDispatcher(new AgentCommandService(Agent, _options, TimeProvider.System), TimeProvider.System);
        qemu.DimmAdded = Plugged;
        qemu.GuestEjects = Ejects;
    }

    public FakeSysfsTree Tree { get; } = new();

    /// <summary>Hosts that connected so far.</summary>
    public int Connections { get; private set; }

    public FakeProcTree Proc { get; } = new();

    public FakeKernelBlockStateWriter Writer { get; }

    public MemoryAgent Agent { get; }

    /// <summary>The agent's channel, as the host end of QEMU's chardev socket.</summary>
    public string Path => System.IO.Path.Combine(_dir.Path, "agent.sock");

    /// <summary>Plays the virtio-mem driver for <paramref name="qemu"/>'s device (whole 128 MiB blocks).</summary>
    public void AttachVirtioMem(SimulatedQemu qemu)
    {
        var device = qemu.VirtioMem ?? throw new InvalidOperationException("the simulated QEMU has no virtio-mem device");
        var first = (int)(device.Addr / Tree.BlockSize);
        var added = 0;
        void WriteIomem() => Proc.SetVirtioMem(Tree.BlockSize, ("virtio4", device.Addr, device.MaxSize, added));
        WriteIomem();
        var plugged = 0L;
        qemu.VirtioMemDriver = requested =>
        {
            while (plugged < requested)
            {
                if (plugged % Tree.BlockSize == 0)
                {
                    Tree.AddBlock(first + added, "offline", "Normal Movable");
                    added++;
                    WriteIomem();
                    _uevents.SendMemory("add", first + added - 1);
                }

                plugged = Math.Min(requested, (added * Tree.BlockSize));
                Proc.PluggedBytes[first + added - 1] = plugged - ((added - 1) * Tree.BlockSize);
            }

            while (plugged > requested)
            {
                var top = first + added - 1;
                var block = new Memory.Sysfs.SysfsMemoryReader(Tree.Root).ReadBlock(top);
                if (block is not null && block.State != BlockState.Offline && !block.IsOnlineMovable)
                {
                    break; // unmovable pages may sit there: the driver keeps retrying, the size stays
                }

                var inTop = plugged - ((added - 1) * Tree.BlockSize);
                var keep = Math.Max(requested - ((added - 1) * Tree.BlockSize), 0);
                plugged -= inTop - keep;
                Proc.PluggedBytes[top] = keep;
                if (keep == 0)
                {
                    Tree.RemoveBlock(top);
                    Proc.PluggedBytes.TryRemove(top, out _);
                    added--;
                    WriteIomem();
                    _uevents.SendMemory("remove", top);
                }
            }

            Proc.AccountFor(Tree);
            return plugged;
        };
    }

    public async Task StartAsync()
    {
        _running.Add(Agent.RunAsync(_uevents, _stop.Token));
        await Eventually.TrueAsync(() => Agent.View.Snapshot.Blocks.Count > 0, "the agent's first reconcile");
        _listener.Bind(new UnixDomainSocketEndPoint(Path));
        _listener.Listen(4);
        _running.Add(AcceptAsync());
    }

    private async Task AcceptAsync()
    {
        var n = 0;
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptAsync(_stop.Token);
                var session = new ProtocolSession(new ChannelConnection(new NetworkStream(socket, ownsSocket: true), $"host {++n}"), Agent, _dispatcher, new ChannelOptions(), TimeProvider.System, new RecordingLogger());
                var running = session.RunAsync(_stop.Token);
                _running.Add(running);
                Connections++;
                if (_oneHostAtATime)
                {
                    await running;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private void Plugged(int slot, long addr, long size)
    {
        var first = (int)(addr / Tree.BlockSize);
        var count = (int)(size / Tree.BlockSize);
        Tree.AddDimm(slot, first, count);
        Proc.AccountFor(Tree);
        for (var i = 0; i < count; i++)
        {
            _uevents.SendMemory("add", first + i);
        }
    }

    private bool Ejects(int slot)
    {
        var snapshot = new Memory.Sysfs.SysfsMemoryReader(Tree.Root).Read();
        var dimm = snapshot.Dimms.FirstOrDefault(d => d.Kind == DimmKind.Acpi && d.Slot == slot);
        if (dimm is null || snapshot.BlocksOf(dimm).Any(b => b.State != BlockState.Offline))
        {
            return false;
        }

        Tree.RemoveDimm(slot, dimm.BlockIds);
        Proc.AccountFor(Tree);
        foreach (var id in dimm.BlockIds)
        {
            _uevents.SendMemory("remove", id);
        }

        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        try
        {
            await Task.WhenAll(_running);
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }

        Tree.Dispose();
        Proc.Dispose();
        _dir.Dispose();
    }
}
