using GuestAgent.Host.Operations;
using GuestAgent.Host.Tests.Support;
using GuestAgent.Memory.Model;
using GuestAgent.Memory.Sysfs;
using GuestAgent.Memory.Writing;
using GuestAgent.TestSupport;

namespace GuestAgent.Host.Tests.Pairing;

/// <summary>
/// The host controller against the real agent (its memory logic, command service, dispatcher and protocol session on
/// a fake sysfs and proc tree, <see cref="SimulatedGuest"/>) behind a simulated QEMU: both sides of the protocol as
/// they ship, without a VM. The same paths run on a real kernel in the end-to-end scenarios.
/// </summary>
public sealed class RealAgentPairingTests : IAsyncDisposable
{
    private const long M = 1L << 20;

    private readonly SimulatedQemu _qemu = new();
    private readonly SimulatedGuest _guest;
    private readonly TemporaryDirectory _dir = new();
    private readonly StringWriter _output = new();

    public RealAgentPairingTests()
    {
        _guest = new SimulatedGuest(_qemu);
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private async Task<HostController> OpenAsync()
    {
        await _guest.StartAsync();
        return await HostController.OpenAsync(
            new HostOptions
            {
                QmpPath = _qemu.Path, AgentPath = _guest.Path, StatePath = Path.Combine(_dir.Path, "vm.dimms.json"), MaxMemory = 4L << 30,
                StateDirectory = Path.Combine(_dir.Path, "state"), LockDirectory = Path.Combine(_dir.Path, "locks"),
                AgentTimeout = TimeSpan.FromSeconds(10), UnplugTimeout = TimeSpan.FromSeconds(10), OnlineTimeout = TimeSpan.FromSeconds(10),
            },
            _output,
            Token);
    }

    private IReadOnlyList<MemoryBlock> GuestBlocksOf(int slot)
    {
        var snapshot = new SysfsMemoryReader(_guest.Tree.Root).Read();
        var dimm = snapshot.Dimms.SingleOrDefault(d => d.Kind == DimmKind.Acpi && d.Slot == slot);
        return dimm is null ? [] : [.. snapshot.BlocksOf(dimm)];
    }

    [Fact]
    public async Task APlugIsOnlinedMovableByTheAgentReportedReadyAndUnpluggedThroughItsPrepare()
    {
        await using var controller = await OpenAsync();

        var plugged = await controller.PlugAsync(256 * M, null, Token);
        var status = await controller.StatusAsync(Token);
        var dimm = status.Dimms.Single(d => d.Id == plugged.Id);

        Assert.All(GuestBlocksOf(plugged.Slot!.Value), b => Assert.True(b.IsOnlineMovable));
        Assert.Contains("guest: 2 blocks online in Movable", _output.ToString(), StringComparison.Ordinal);
        Assert.True(status.AgentConnected);
        Assert.Equal("ready", dimm.Readiness);
        Assert.StartsWith("all 2 blocks online in Movable", dimm.Reason, StringComparison.Ordinal);

        await controller.UnplugAsync(plugged.Id, force: false, Token);

        Assert.Empty(_qemu.DeviceIds);
        Assert.Empty(GuestBlocksOf(plugged.Slot.Value));
        Assert.Contains(_guest.Writer.Writes, w => w.Word == "offline" && w.Succeeded);
        Assert.Contains($"unplugged {plugged.Id}", _output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AGuestWithoutRoomForTheDimmsContentsRefusesAndTheDimmStaysOnline()
    {
        await using var controller = await OpenAsync();
        var plugged = await controller.PlugAsync(256 * M, null, Token);
        _guest.Proc.SetMemory(1280 * M, 40 * M).Write(); // what is on the DIMM has nowhere to go

        var e = await Assert.ThrowsAsync<HostCommandException>(() => controller.UnplugAsync(plugged.Id, force: false, Token));

        Assert.Contains("--force", e.Message, StringComparison.Ordinal);
        Assert.Equal([plugged.Id], _qemu.DeviceIds);
        Assert.All(GuestBlocksOf(plugged.Slot!.Value), b => Assert.Equal(BlockState.Online, b.State));
        Assert.DoesNotContain(_guest.Writer.Writes, w => w.Word == "offline");
        Assert.DoesNotContain("device_del", _qemu.CommandNames);
    }

    [Fact]
    public async Task ABlockTheKernelWillNotOfflineIsRolledBackByTheAgentAndTheDimmStays()
    {
        await using var controller = await OpenAsync();
        var plugged = await controller.PlugAsync(256 * M, null, Token);
        var blocks = GuestBlocksOf(plugged.Slot!.Value);
        _guest.Writer.FailWith(blocks[^1].Id, BlockStateRequest.Offline, Errno.EBUSY);

        var e = await Assert.ThrowsAsync<HostCommandException>(() => controller.UnplugAsync(plugged.Id, force: false, Token));

        Assert.Contains($"memory{blocks[^1].Id}", e.Message, StringComparison.Ordinal);
        Assert.Equal([plugged.Id], _qemu.DeviceIds);
        Assert.All(GuestBlocksOf(plugged.Slot.Value), b => Assert.True(b.IsOnlineMovable));
        Assert.DoesNotContain("device_del", _qemu.CommandNames);
    }

    public async ValueTask DisposeAsync()
    {
        await _guest.DisposeAsync();
        await _qemu.DisposeAsync();
        _dir.Dispose();
        _output.Dispose();
    }
}
