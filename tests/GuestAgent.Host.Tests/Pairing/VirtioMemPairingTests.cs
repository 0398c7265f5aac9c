using GuestAgent.Host.Operations;
using GuestAgent.Host.Tests.Support;
using GuestAgent.Memory.Model;
using GuestAgent.Memory.Sysfs;
using GuestAgent.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace GuestAgent.Host.Tests.Pairing;

/// <summary>
/// <c>set-memory</c> through a virtio-mem device, with the real agent reporting how much of it the guest can give
/// back (<see cref="SimulatedGuest"/> playing the driver) behind a simulated QEMU. The same paths run on a real kernel
/// in the end-to-end virtio-mem scenario.
/// </summary>
public sealed class VirtioMemPairingTests : IAsyncDisposable
{
    private const long M = 1L << 20;

    private readonly PairedHost _host = new(virtioMem: true);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private long Boot => _host.Qemu.BootMemory;

    private Task<HostController> OpenAsync(TimeProvider? time = null) => _host.OpenAsync(time);

    /// <summary>The guest kernel has the device's blocks online Movable, and the agent's model says so too.</summary>
    private async Task AllOnlineMovableAsync(int blocks)
    {
        await Eventually.TrueAsync(
            () => new SysfsMemoryReader(_host.Guest.Tree.Root).Read().Blocks.Count(b => b.Index >= 32 && b.IsOnlineMovable) == blocks,
            $"{blocks} virtio-mem blocks online Movable");
        await Eventually.TrueAsync(
            () => _host.Guest.Agent.View.Snapshot is var s && s.Dimms.Single(d => d.Kind == DimmKind.VirtioMem) is var d && s.BlocksOf(d).Count(b => b.IsOnlineMovable) == blocks,
            "the agent's model up to date");
    }

    [Fact]
    public async Task AGrowIsOnlinedMovableByTheAgentAndReportedPerDevice()
    {
        await using var controller = await OpenAsync();

        var ended = await controller.SetMemoryAsync(Boot + (512 * M), force: false, Token);
        await AllOnlineMovableAsync(4);
        var status = await controller.StatusAsync(Token);

        Assert.Equal(Boot + (512 * M), ended);
        Assert.Equal(512 * M, _host.Qemu.VirtioMem!.RequestedSize);
        Assert.Contains("through virtio-mem vm0: requested size 0 B → 512 MiB", _host.Output.ToString(), StringComparison.Ordinal);
        var device = Assert.Single(status.VirtioMem);
        Assert.Equal((512 * M, 512 * M, 512 * M), (device.Size, device.GuestPlugged!.Value, device.GuestMovable!.Value));
        Assert.Equal("ready", device.Readiness);
        Assert.Equal(512 * M, device.Unpluggable);
        Assert.Equal(Boot + (512 * M), status.CurrentMemory);
        Assert.Equal((4L << 30) - Boot - (1L << 30), status.RoomLeft); // the device's whole region is out of maxmem
        Assert.Empty(status.GuestOnly);
        Assert.Empty(status.Dimms);
    }

    [Fact]
    public async Task StatusRightAfterAGrowCountsWhatTheDeviceHasPluggedNotWhatTheAgentLastSaw()
    {
        // An agent that has not looked at sysfs since the driver added the blocks (its settle delay far off): status
        // sees its count differ from the device's size and asks it to look again.
        await using var host = new PairedHost(virtioMem: true, settleDelay: TimeSpan.FromHours(1));
        await host.StartAsync();
        await using var controller = await host.OpenAsync();
        await controller.SetMemoryAsync(host.Qemu.BootMemory + (512 * M), force: false, Token);
        var stale = host.Guest.Agent.View.Snapshot;

        var status = await controller.StatusAsync(Token);

        Assert.Empty(stale.BlocksOf(stale.Dimms.Single(d => d.Kind == DimmKind.VirtioMem)));
        var device = Assert.Single(status.VirtioMem);
        Assert.Equal((512 * M, 512 * M, 512 * M), (device.Size, device.GuestPlugged!.Value, device.GuestMovable!.Value));
    }

    [Fact]
    public async Task AShrinkIsNeverAskedBeyondWhatTheGuestCanGiveBackWithoutForce()
    {
        await using var controller = await OpenAsync();
        await controller.SetMemoryAsync(Boot + (512 * M), force: false, Token);
        await AllOnlineMovableAsync(4);
        _host.Guest.Proc.SetMemory(1536 * M, 384 * M); // 256 MiB can go with the 128 MiB reserve kept

        var e = await Assert.ThrowsAsync<HostCommandException>(() => controller.SetMemoryAsync(Boot, force: false, Token));
        var ended = await controller.SetMemoryAsync(Boot + (256 * M), force: false, Token);

        Assert.Contains("refusing to shrink by 512 MiB: the guest can give back ~256 MiB of virtio-mem vm0 now", e.Message, StringComparison.Ordinal);
        Assert.Equal(Boot + (256 * M), ended);
        Assert.Equal(256 * M, _host.Qemu.VirtioMem!.Size);
    }

    [Fact]
    public async Task AShrinkThatStallsIsStoppedSaidAndItsRequestSetBackToWhatWasReached()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var controller = await OpenAsync(time);
        await controller.SetMemoryAsync(Boot + (512 * M), force: false, Token);
        await AllOnlineMovableAsync(4);
        _host.Guest.Tree.SetBlock(33, "online", "Normal"); // the second block ended up in a kernel zone

        // The controller reads the device once a second of its clock: the test moves the clock, nobody waits.
        var shrink = controller.SetMemoryAsync(Boot, force: true, Token);
        var ticks = 0;
        while (!shrink.IsCompleted && ticks++ < 1000)
        {
            time.Advance(TimeSpan.FromMilliseconds(500));
            await Task.Yield();
            await Task.Delay(1, Token);
        }

        var e = await Assert.ThrowsAsync<HostCommandException>(() => shrink);

        Assert.Contains("virtio-mem vm0 stopped at 256 MiB on the way to 0 B: its size did not move for 2 s", e.Message, StringComparison.Ordinal);
        Assert.Contains("requested size set back to 256 MiB", e.Message, StringComparison.Ordinal);
        Assert.Contains("the guest says: 256 MiB plugged: 128 MiB online in Movable, up to 128 MiB in kernel zones", e.Message, StringComparison.Ordinal);
        Assert.Equal((256 * M, 256 * M), (_host.Qemu.VirtioMem!.Size, _host.Qemu.VirtioMem.RequestedSize));
        Assert.Contains("stopped at 256 MiB", (await controller.StatusAsync(Token)).LastChangeProblem, StringComparison.Ordinal);
    }

    /// <summary>
    /// Issue 25, case 4: the driver adds a whole 128 MiB block for 30 MiB; the guest reports what the device plugged (from
    /// the zone's managed pages), not the block; and once it is unplugged, nothing, even before the agent rereads sysfs.
    /// </summary>
    [Fact]
    public async Task APartlyPluggedBlockIsReportedAsWhatTheDevicePlugged()
    {
        await using var controller = await OpenAsync();

        await controller.SetMemoryAsync(Boot + (30 * M), force: false, Token);
        await AllOnlineMovableAsync(1);
        var grown = Assert.Single((await controller.StatusAsync(Token)).VirtioMem);
        await controller.SetMemoryAsync(Boot, force: false, Token);
        var shrunk = Assert.Single((await controller.StatusAsync(Token)).VirtioMem);

        Assert.Equal((30 * M, 30 * M, 30 * M, 30 * M), (grown.Size, grown.GuestPlugged, grown.GuestMovable, grown.Unpluggable));
        Assert.StartsWith("30 MiB plugged: 30 MiB online in Movable", grown.Reason, StringComparison.Ordinal);
        Assert.Equal((0L, 0L, 0L), (shrunk.Size, shrunk.GuestPlugged ?? 0, shrunk.Unpluggable ?? 0));
    }

    /// <summary>Issue 25, case 5: a grow is held to the guest's plug budget as a DIMM is; --force goes past it.</summary>
    [Fact]
    public async Task AGrowPastThePlugBudgetNeedsForce()
    {
        await using var controller = await OpenAsync();
        _host.Guest.Proc.SetZone(0, "DMA32", freePages: 2_000, managedPages: 200_000, highPages: 2_000); // no kernel memory left for a memmap

        var refused = await Assert.ThrowsAsync<HostCommandException>(() => controller.SetMemoryAsync(Boot + (100 * M), force: false, Token));
        var sizeAfterRefusal = _host.Qemu.VirtioMem!.RequestedSize;
        var ended = await controller.SetMemoryAsync(Boot + (100 * M), force: true, Token);

        Assert.StartsWith("cannot grow virtio-mem vm0 by 100 MiB: the guest can take only 0 B more and still give it back", refused.Message, StringComparison.Ordinal);
        Assert.EndsWith("--force grows it anyway", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, sizeAfterRefusal);
        Assert.Equal(Boot + (100 * M), ended);
        Assert.Contains("--force: the guest can take only 0 B more", _host.Output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SizesTheDeviceCannotReachAreRefusedBeforeQemuIsAsked()
    {
        await using var controller = await OpenAsync();

        var unaligned = await Assert.ThrowsAsync<HostCommandException>(() => controller.SetMemoryAsync(Boot + M, force: false, Token));
        var beyond = await Assert.ThrowsAsync<HostCommandException>(() => controller.SetMemoryAsync(Boot + (2048 * M), force: false, Token));
        var below = await Assert.ThrowsAsync<HostCommandException>(() => controller.SetMemoryAsync(Boot - (128 * M), force: false, Token));

        Assert.Contains("must be a multiple of its block size 2 MiB", unaligned.Message, StringComparison.Ordinal);
        Assert.Contains("at most 1 GiB, so the VM can reach", beyond.Message, StringComparison.Ordinal);
        Assert.Contains("so the VM can shrink to", below.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("qom-set", _host.Qemu.CommandNames);
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();
}
