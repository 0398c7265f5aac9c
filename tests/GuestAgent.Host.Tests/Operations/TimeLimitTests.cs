using GuestAgent.Host.Operations;
using GuestAgent.Host.State;
using Microsoft.Extensions.Time.Testing;

namespace GuestAgent.Host.Tests.Operations;

/// <summary>
/// The controller's long limits on its own clock (issue 24): the guest's 300 s to prepare an unplug, QEMU's 60 s to
/// report a removal. The clock is the test's: what must not happen before a limit is checked by advancing it short
/// of the limit, what must happen by advancing it past.
/// </summary>
public sealed class TimeLimitTests
{
    private const long M = 1L << 20;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task QemuHasSixtySecondsToReportTheRemovalThenTheGuestKeepsTheDimm()
    {
        await using var h = new ControllerHarness();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var controller = await HostController.OpenAsync(h.Options() with { UnplugTimeout = TimeSpan.FromSeconds(60) }, h.Output, Token, time);
        await controller.PlugAsync(256 * M, null, Token);
        h.Qemu.EjectBehaviour = "ignore";

        var unplug = controller.UnplugAsync("ga-dimm0", force: false, Token);
        await h.Qemu.Answered("device_del").WaitAsync(Token);
        time.Advance(TimeSpan.FromSeconds(59));
        await Task.Delay(20, Token); // room for a timer that fired too early to finish the command
        var before = unplug.IsCompleted;
        time.Advance(TimeSpan.FromSeconds(1));
        var e = await Assert.ThrowsAsync<HostCommandException>(() => unplug.WaitAsync(TimeSpan.FromSeconds(30), Token));

        Assert.False(before, "gave up before 60 s");
        Assert.StartsWith("QEMU did not report ga-dimm0 deleted within 60 s; the guest was told to keep it", e.Message, StringComparison.Ordinal);
        Assert.Contains("cancel-unplug", h.Agent.RequestNames);
        Assert.Equal(DimmOperation.None, Assert.Single(h.SavedState().Dimms).Operation);
    }

    [Fact]
    public async Task TheGuestHasThreeHundredSecondsToPrepareThenQemuIsNotAsked()
    {
        await using var h = new ControllerHarness();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var controller = await HostController.OpenAsync(h.Options() with { PrepareTimeout = TimeSpan.FromSeconds(300) }, h.Output, Token, time);
        await controller.PlugAsync(256 * M, null, Token);
        h.Agent.SilentDuringPrepare = true;

        var unplug = controller.UnplugAsync("ga-dimm0", force: false, Token);
        await h.Agent.Received("prepare-unplug").WaitAsync(Token);
        time.Advance(TimeSpan.FromSeconds(299));
        await Task.Delay(20, Token); // room for a timer that fired too early to finish the command
        var before = unplug.IsCompleted;
        time.Advance(TimeSpan.FromSeconds(1));
        var e = await Assert.ThrowsAsync<HostCommandException>(() => unplug.WaitAsync(TimeSpan.FromSeconds(30), Token));

        Assert.False(before, "gave up before 300 s");
        Assert.StartsWith("the guest agent did not answer prepare-unplug within 300 s; the hypervisor was not asked", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("device_del", h.Qemu.CommandNames);
        Assert.Equal(["ga-dimm0"], h.Qemu.DeviceIds);
    }
}
