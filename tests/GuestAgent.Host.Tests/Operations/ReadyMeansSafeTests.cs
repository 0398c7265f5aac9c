using GuestAgent.Host.Cli;
using GuestAgent.Host.Operations;
using GuestAgent.Host.State;
using GuestAgent.Host.Tests.Support;
using GuestAgent.TestSupport;

namespace GuestAgent.Host.Tests.Operations;

/// <summary>The host side of "ready means safe" and the nine defects of the outside test, each shown by a test that failed before its fix.</summary>
public sealed class ReadyMeansSafeTests
{
    private const long M = 1L << 20;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static async Task<(int Code, string Output, string Error)> CliAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await HostCli.RunAsync(args, output, error, Token);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task SetMemoryChoosesOnlyDimmsThatFitTogetherAndSaysWhichItLeft()
    {
        await using var h = new ControllerHarness();
        await using var controller = await h.OpenAsync();
        foreach (var size in new[] { 256, 256, 128, 128 })
        {
            await controller.PlugAsync(size * M, null, Token);
        }

        h.Agent.Capacity = ((128 + 300) * M, 128 * M); // the guest can give up 300 MiB of online memory now

        var ended = await controller.SetMemoryAsync(1024 * M, force: false, Token); // the decrease alone would take all four

        Assert.Equal(1792 * M - 256 * M, ended); // one 256: 256 + 128 would already be 384 > 300
        Assert.Contains("left ga-dimm", h.Output.ToString(), StringComparison.Ordinal);
        Assert.Contains("it can give up ~300 MiB of online memory now", h.Output.ToString(), StringComparison.Ordinal);
        Assert.Equal(1024 * M, h.SavedState().RequestedMemory);
        Assert.NotNull(h.SavedState().LastChangeProblem);
    }

    [Fact]
    public async Task ADimmThatDoesNotFitIsRefusedAndOnlyForceGoesPastTheGuestsCheck()
    {
        await using var h = new ControllerHarness();
        await using var controller = await h.OpenAsync();
        await controller.PlugAsync(256 * M, null, Token);
        h.Agent.NotReady[0] = ("not-ready", "holds ~200 MiB; the rest of the guest has ~100 MiB available after the kernel's watermarks");
        h.Agent.Blockers[0] = "capacity";

        var refused = await Assert.ThrowsAsync<HostCommandException>(() => controller.UnplugAsync("ga-dimm0", force: false, Token));
        await controller.UnplugAsync("ga-dimm0", force: true, Token);

        Assert.Contains("holds ~200 MiB", refused.Message, StringComparison.Ordinal);
        Assert.Equal([true], h.Agent.PrepareForces); // forced through the guest's own offline, not a raw eject
        Assert.Contains("may run short of memory", h.Output.ToString(), StringComparison.Ordinal);
        Assert.Empty(h.Qemu.DeviceIds);
    }

    [Fact]
    public async Task TheGuestsCapacityRefusalStopsTheUnplugBeforeTheHypervisor()
    {
        await using var h = new ControllerHarness();
        await using var controller = await h.OpenAsync();
        await controller.PlugAsync(256 * M, null, Token);
        h.Agent.Blockers[0] = "capacity"; // ready a moment ago; the prepare's own check says no

        var e = await Assert.ThrowsAsync<HostCommandException>(() => controller.UnplugAsync("ga-dimm0", force: false, Token));

        Assert.Contains("the guest would run short of memory without ga-dimm0", e.Message, StringComparison.Ordinal);
        Assert.Contains("the DIMM is still plugged", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("device_del", h.Qemu.CommandNames);
    }

    [Fact]
    public async Task PlugRefusesBeyondThePlugBudgetUnlessForced()
    {
        await using var h = new ControllerHarness();
        await using var controller = await h.OpenAsync();
        h.Agent.PlugBudget = 256 * M;

        var refused = await Assert.ThrowsAsync<HostCommandException>(() => controller.PlugAsync(512 * M, null, Token));
        await controller.PlugAsync(512 * M, null, Token, force: true);

        Assert.Contains("the guest can take only 256 MiB more and still give it back", refused.Message, StringComparison.Ordinal);
        Assert.Single(h.Qemu.DeviceIds);
    }

    [Fact]
    public async Task TheAgentClosingItsPortDuringPrepareFailsTheUnplugAtOnce()
    {
        await using var h = new ControllerHarness();
        await using var controller = await h.OpenAsync(); // UnplugTimeout 2 s, PrepareTimeout 5 min: only the port event ends this quickly
        await controller.PlugAsync(256 * M, null, Token);
        h.Agent.SilentDuringPrepare = true; // the agent died mid-prepare: no reply will ever come

        var unplug = controller.UnplugAsync("ga-dimm0", force: false, Token);
        await Eventually.TrueAsync(() => h.Agent.RequestNames.Contains("prepare-unplug"), "the prepare sent");
        await h.Qemu.SendPortChangeAsync(open: false);
        var e = await Assert.ThrowsAsync<HostCommandException>(() => unplug);

        Assert.Contains("the guest closed the agent's port agent0", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("device_del", h.Qemu.CommandNames);
        Assert.Equal(DimmOperation.None, Assert.Single(h.SavedState().Dimms).Operation);
    }

    [Fact]
    public async Task AConnectionThePortKeepsSilentIsMadeAgain()
    {
        await using var h = new ControllerHarness();
        h.Agent.MutedConnections = 1;

        await using var controller = await h.OpenAsync();

        Assert.NotNull(controller.Agent);
        Assert.Equal(2, h.Agent.Connections);
        Assert.Equal(2, h.Agent.RequestNames.Count(n => n == "hello"));
    }

    [Fact]
    public async Task AnAgentSilentOnEveryConnectionIsNoAgentAfterTheTimeout()
    {
        await using var h = new ControllerHarness();
        h.Agent.MutedConnections = int.MaxValue;

        await using var controller = await h.OpenAsync();

        Assert.Null(controller.Agent);
        Assert.Equal(2, h.Agent.Connections);
        Assert.Contains("did not answer", controller.AgentProblem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DimmsPresentAtStartAreShrunkLikeAnyOther()
    {
        await using var h = new ControllerHarness();
        h.Qemu.AddDimm("ga-dimm0", "ga-mem0", 256 * M, hotplugged: false);
        h.Qemu.AddDimm("ga-dimm1", "ga-mem1", 256 * M, hotplugged: false);
        await using var controller = await h.OpenAsync();

        var ended = await controller.SetMemoryAsync(1024 * M, force: false, Token);

        Assert.Equal(1024 * M, ended);
        Assert.Empty(h.Qemu.DeviceIds);
    }

    [Fact]
    public async Task TheLockIsTheVmsWhicheverMonitorAControllerUses()
    {
        await using var h = new ControllerHarness();
        await using var secondMonitor = new SimulatedQemu { Uuid = h.Qemu.Uuid };
        await using var first = await h.OpenAsync();

        var other = h.Options() with { QmpPath = secondMonitor.Path, StatePath = Path.Combine(h.LockDirectory, "..", "other.json") };
        var e = await Assert.ThrowsAsync<IOException>(() => HostController.OpenAsync(other, new StringWriter(), Token));

        Assert.Contains("another guest-agent-host is acting on this VM (UUID " + h.Qemu.Uuid, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AStateFileOfAnotherVmIsRefused()
    {
        await using var h = new ControllerHarness();
        await using (await h.OpenAsync())
        {
        }

        await using var otherVm = new SimulatedQemu();
        var e = await Assert.ThrowsAsync<HostCommandException>(() => HostController.OpenAsync(h.Options() with { QmpPath = otherVm.Path }, new StringWriter(), Token));

        Assert.Contains("belongs to another VM", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADimmWithoutAnIdIsShownNamedBySlotAndUnplugged()
    {
        await using var h = new ControllerHarness();
        h.Qemu.AddDimm(null, "m1", 256 * M);
        await using var controller = await h.OpenAsync();

        var status = await controller.StatusAsync(Token);
        await controller.UnplugAsync("slot0", force: false, Token);

        var row = Assert.Single(status.Dimms);
        Assert.Equal(("slot0", false, "ready"), (row.Id, row.HasId, row.Readiness));
        Assert.Contains("name it slot0 in commands", row.Hint, StringComparison.Ordinal);
        Assert.Empty(status.GuestOnly);
        Assert.Empty(h.Qemu.DeviceIds);
        Assert.Empty(h.Qemu.BackendIds);
        Assert.Contains(h.Qemu.Commands, c => c.Contains("\"device_del\"", StringComparison.Ordinal) && c.Contains("/machine/peripheral-anon/device[0]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PlugWithoutAnAgentSaysItDoesNotKnowWhatTheGuestDid()
    {
        await using var h = new ControllerHarness();
        await using var controller = await h.OpenAsync(withAgent: false);

        await controller.PlugAsync(256 * M, null, Token);

        Assert.Contains("whether the guest onlines the memory, and into which zone, is not known", h.Output.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("udev rule onlines", h.Output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestedRecordsOnlyChangesThatWereCarriedOut()
    {
        await using var h = new ControllerHarness();
        await using (var controller = await h.OpenAsync())
        {
            await controller.SetMemoryAsync(1280 * M, force: false, Token);
        }

        var afterGrow = h.SavedState().RequestedMemory;
        var unknownMax = h.Options() with { MaxMemory = null };
        await using (var controller = await HostController.OpenAsync(unknownMax, new StringWriter(), Token))
        {
            await Assert.ThrowsAsync<HostCommandException>(() => controller.SetMemoryAsync(4097 * M, force: false, Token)); // QEMU refuses
        }

        var afterQemuRefusal = h.SavedState().RequestedMemory;
        await using (var controller = await h.OpenAsync())
        {
            await Assert.ThrowsAsync<HostCommandException>(() => controller.SetMemoryAsync(4097 * M, force: false, Token)); // our maxmem check refuses
        }

        Assert.Equal(1280 * M, afterGrow);
        Assert.Equal(1280 * M, afterQemuRefusal);
        Assert.Equal(1280 * M, h.SavedState().RequestedMemory);
    }

    [Theory]
    [InlineData("status")]
    [InlineData("plug", "256M")]
    public async Task AMistypedQmpPathChangesNothingAndSaysTheSocketIsMissing(params string[] command)
    {
        using var dir = new TemporaryDirectory();
        var qmp = Path.Combine(dir.Path, "no", "such", "dir", "q.sock");

        var (code, _, error) = await CliAsync(["--qmp", qmp, "--lock-dir", Path.Combine(dir.Path, "locks"), "--state-dir", Path.Combine(dir.Path, "state"), .. command]);

        Assert.Equal(ExitCodes.Failed, code);
        Assert.Contains($"no QMP socket: {qmp} does not exist (nor does its folder)", error, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir.Path));
    }

    [Theory]
    [InlineData(new[] { "status" }, "no hypervisor given: --qmp PATH (bare QEMU) or --connect URI --domain NAME (libvirt)")]
    [InlineData(new[] { "--qmp", "/x", "--connect", "qemu:///system", "status" }, "give either --qmp PATH (bare QEMU) or --connect URI (libvirt), not both")]
    [InlineData(new[] { "--connect", "qemu:///system", "status" }, "--connect needs --domain NAME|UUID")]
    [InlineData(new[] { "--qmp", "/x", "--domain", "web1", "status" }, "--domain and --persistent go with --connect (libvirt), not --qmp")]
    [InlineData(new[] { "--qmp", "/x", "unplug" }, "Required argument missing for command: 'unplug'")]
    [InlineData(new[] { "--qmp", "/x", "frobnicate" }, "Unrecognized command or argument 'frobnicate'")]
    [InlineData(new[] { "--qmp", "/x", "--slots", "abc", "status" }, "'abc' is not a valid value for --slots: expected a whole number")]
    [InlineData(new[] { "--qmp", "/x", "--slots", "0", "status" }, "--slots must be a positive whole number")]
    public async Task BadCommandLinesExitTwoInPlainWords(string[] args, string message)
    {
        var (code, _, error) = await CliAsync(args);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"System\.|Nullable|`1|Exception", error);
    }
}
