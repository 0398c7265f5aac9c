using GuestAgent.Host.Cli;
using GuestAgent.Host.Operations;
using GuestAgent.Host.Tests.Support;

namespace GuestAgent.Host.Tests.Operations;

/// <summary><c>make-movable ID</c>: the guest moves a kernel-zone DIMM into Movable; the hypervisor is not touched.</summary>
public sealed class MakeMovableTests
{
    private const long M = 1L << 20;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheGuestIsAskedBySlotAndTheDimmIsReadyAfterwardsWithNothingChangedInTheHypervisor()
    {
        await using var h = new ControllerHarness();
        await using (var controller = await h.OpenAsync())
        {
            await controller.PlugAsync(256 * M, null, Token);
        }

        h.Agent.NotReady[0] = ("not-ready", "memory32 is in zone Normal (onlined there before the agent started)");
        var calls = h.Qemu.CommandNames.Count;
        var output = new StringWriter();
        var error = new StringWriter();

        var code = await HostCli.RunAsync([.. h.CliOptions(withAgent: true), "make-movable", "ga-dimm0"], output, error, Token);

        Assert.Equal(0, code);
        Assert.Equal([(0, false)], h.Agent.MadeMovable);
        Assert.Contains("guest: ga-dimm0 every block is online in Movable", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("readiness: ready", output.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(h.Qemu.CommandNames.Skip(calls), c => c is "device_add" or "device_del" or "object-add" or "object-del");
        Assert.Equal(["ga-dimm0"], h.Qemu.DeviceIds);
    }

    [Fact]
    public async Task AFailureSaysWhyAndExitsOne()
    {
        await using var h = new ControllerHarness();
        await using (var controller = await h.OpenAsync())
        {
            await controller.PlugAsync(256 * M, null, Token);
        }

        h.Agent.MakeMovableFailsWith = "memory33 could not be offlined: Device or resource busy; it stays where it was";
        var error = new StringWriter();

        var code = await HostCli.RunAsync([.. h.CliOptions(withAgent: true), "make-movable", "ga-dimm0", "--force"], new StringWriter(), error, Token);

        Assert.Equal(1, code);
        Assert.Equal("guest-agent-host: the guest could not move ga-dimm0 into Movable: memory33 could not be offlined: Device or resource busy; it stays where it was (EBUSY)" + Environment.NewLine, error.ToString());
        Assert.Contains(h.Agent.Requests, r => r.Contains("\"make-movable\"", StringComparison.Ordinal) && r.Contains("\"force\":true", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnOlderAgentOrNoneOrAnUnknownDimmIsToldPlainly()
    {
        await using var h = new ControllerHarness();
        await using (var controller = await h.OpenAsync())
        {
            await controller.PlugAsync(256 * M, null, Token);
        }

        h.Agent.MakesMovable = false;
        await using (var controller = await h.OpenAsync())
        {
            var old = await Assert.ThrowsAsync<HostCommandException>(() => controller.MakeMovableAsync("ga-dimm0", false, Token));
            var unknown = await Assert.ThrowsAsync<HostCommandException>(() => controller.MakeMovableAsync("ga-dimm9", false, Token));
            Assert.Equal("the guest agent 0.1.0 has no make-movable; update guest-agent in the guest", old.Message);
            Assert.Equal("no DIMM 'ga-dimm9'; the hypervisor has: ga-dimm0", unknown.Message);
        }

        await using (var controller = await h.OpenAsync(withAgent: false))
        {
            var none = await Assert.ThrowsAsync<HostCommandException>(() => controller.MakeMovableAsync("ga-dimm0", false, Token));
            Assert.StartsWith("make-movable needs the guest agent: ", none.Message, StringComparison.Ordinal);
        }

        Assert.Empty(h.Agent.MadeMovable);
    }
}
