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

    private readonly PairedHost _host = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private Task<HostController> OpenAsync() => _host.OpenAsync();

    private IReadOnlyList<MemoryBlock> GuestBlocksOf(int slot)
    {
        var snapshot = new SysfsMemoryReader(_host.Guest.Tree.Root).Read();
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
        Assert.Contains("guest: 2 blocks online in Movable", _host.Output.ToString(), StringComparison.Ordinal);
        Assert.True(status.AgentConnected);
        Assert.Equal("ready", dimm.Readiness);
        Assert.StartsWith("all 2 blocks online in Movable", dimm.Reason, StringComparison.Ordinal);

        await controller.UnplugAsync(plugged.Id, force: false, Token);

        Assert.Empty(_host.Qemu.DeviceIds);
        Assert.Empty(GuestBlocksOf(plugged.Slot.Value));
        Assert.Contains(_host.Guest.Writer.Writes, w => w.Word == "offline" && w.Succeeded);
        Assert.Contains($"unplugged {plugged.Id}", _host.Output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADimmTheAgentHasNotSeenYetIsLookedForWithARescanBeforeTheUnplugIsRefused()
    {
        await (await OpenAsync()).DisposeAsync();
        // Plugged by someone else a moment ago: the kernel has onlined its blocks, their uevents have not reached the agent.
        _host.Qemu.AddDimm("late", "mem-late", 256 * M);
        _host.Guest.Tree.AddDimm(0, 32, 2, "online", "Movable");
        await using var controller = await OpenAsync(); // adopts it

        await controller.UnplugAsync("late", force: false, Token);

        Assert.Empty(_host.Qemu.DeviceIds);
        Assert.Empty(GuestBlocksOf(0));
        Assert.Contains("unplugged late", _host.Output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AGuestWithoutRoomForTheDimmsContentsRefusesAndTheDimmStaysOnline()
    {
        await using var controller = await OpenAsync();
        var plugged = await controller.PlugAsync(256 * M, null, Token);
        _host.Guest.Proc.SetMemory(1280 * M, 40 * M).Write(); // what is on the DIMM has nowhere to go

        var e = await Assert.ThrowsAsync<HostCommandException>(() => controller.UnplugAsync(plugged.Id, force: false, Token));

        Assert.Contains("--force", e.Message, StringComparison.Ordinal);
        Assert.Equal([plugged.Id], _host.Qemu.DeviceIds);
        Assert.All(GuestBlocksOf(plugged.Slot!.Value), b => Assert.Equal(BlockState.Online, b.State));
        Assert.DoesNotContain(_host.Guest.Writer.Writes, w => w.Word == "offline");
        Assert.DoesNotContain("device_del", _host.Qemu.CommandNames);
    }

    [Fact]
    public async Task ABlockTheKernelWillNotOfflineIsRolledBackByTheAgentAndTheDimmStays()
    {
        await using var controller = await OpenAsync();
        var plugged = await controller.PlugAsync(256 * M, null, Token);
        var blocks = GuestBlocksOf(plugged.Slot!.Value);
        _host.Guest.Writer.FailWith(blocks[^1].Id, BlockStateRequest.Offline, Errno.EBUSY);

        var e = await Assert.ThrowsAsync<HostCommandException>(() => controller.UnplugAsync(plugged.Id, force: false, Token));

        Assert.Contains($"memory{blocks[^1].Id}", e.Message, StringComparison.Ordinal);
        Assert.Equal([plugged.Id], _host.Qemu.DeviceIds);
        Assert.All(GuestBlocksOf(plugged.Slot.Value), b => Assert.True(b.IsOnlineMovable));
        Assert.DoesNotContain("device_del", _host.Qemu.CommandNames);
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();
}
