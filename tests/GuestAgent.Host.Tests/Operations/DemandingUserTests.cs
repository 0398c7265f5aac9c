using GuestAgent.Host.Cli;
using GuestAgent.Host.Operations;
using GuestAgent.Host.State;
using GuestAgent.Host.Tests.Support;
using GuestAgent.TestSupport;

namespace GuestAgent.Host.Tests.Operations;

/// <summary>
/// What 24 cases tried as a demanding user would found (issue 25), on the simulated QEMU and scripted agent: a status
/// that answers while another controller changes the VM, a QEMU that dies mid-unplug, the memory requested after a
/// recovery, the state file's and the paths' messages, and the small ones. The cases that need a real kernel run in the
/// end-to-end scenarios.
/// </summary>
public sealed class DemandingUserTests
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

    /// <summary>Case 2: on the monitor the changing controller holds, status says who changes what, from the state file, without waiting.</summary>
    [Fact]
    public async Task StatusOnTheMonitorAnotherControllerHoldsNamesItAndWhatIsInFlight()
    {
        await using var h = new ControllerHarness();
        await using (var controller = await h.OpenAsync())
        {
            await controller.PlugAsync(256 * M, null, Token);
        }

        await using var changing = await HostController.OpenAsync(h.Options() with { Command = "unplug ga-dimm0" }, new StringWriter(), Token);
        changing.State.Find("ga-dimm0")!.Begin(DimmOperation.Preparing, DateTimeOffset.UtcNow);
        changing.Session.Save();

        var connections = h.Qemu.Connections;
        var text = await CliAsync([.. h.CliOptions(withAgent: true), "status"]);
        var json = await CliAsync([.. h.CliOptions(withAgent: true), "status", "--json"]);

        Assert.Equal((0, 0), (text.Code, json.Code));
        Assert.Contains($"changing now: guest-agent-host pid {Environment.ProcessId} (unplug ga-dimm0, since ", text.Output, StringComparison.Ordinal);
        Assert.Contains($"not live: the QMP monitor {h.Qemu.Path} is in use by guest-agent-host pid {Environment.ProcessId} (unplug ga-dimm0", text.Output, StringComparison.Ordinal);
        Assert.Matches(@"ga-dimm0\s+0 0x100000000\s+256 MiB\s+0 unplug \(guest preparing\) since ", text.Output);
        Assert.Contains("\"not-live\":", json.Output, StringComparison.Ordinal);
        Assert.Equal(connections, h.Qemu.Connections); // status never had the monitor
    }

    /// <summary>Case 2: on a monitor of its own, status is live, takes no lock, and does not wait for the agent's channel the changer holds.</summary>
    [Fact]
    public async Task StatusOnAnotherMonitorIsLiveAndNamesTheChanger()
    {
        await using var h = new ControllerHarness();
        await using var ownMonitor = new SimulatedQemu { Uuid = h.Qemu.Uuid };
        await using var changing = await HostController.OpenAsync(h.Options() with { Command = "set-memory 2 GiB" }, new StringWriter(), Token);

        var status = await CliAsync(["--qmp", ownMonitor.Path, "--agent", h.Agent.Path, "--state", h.StatePath, "--lock-dir", h.LockDirectory, "status"]);

        Assert.Equal(0, status.Code);
        Assert.Contains("changing now: guest-agent-host pid", status.Output, StringComparison.Ordinal);
        Assert.Contains("(set-memory 2 GiB, since", status.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("not live", status.Output, StringComparison.Ordinal);
        Assert.Contains("guest: no agent (the agent's channel is in use by guest-agent-host pid", status.Output, StringComparison.Ordinal);
        Assert.Equal(1, h.Agent.Connections); // the changer's only: status did not queue behind it
    }

    /// <summary>Case 2: a second change is refused naming the lock's holder, whichever monitor it was given.</summary>
    [Fact]
    public async Task ASecondChangeNamesTheHolderOnEitherMonitor()
    {
        await using var h = new ControllerHarness();
        await using var otherMonitor = new SimulatedQemu { Uuid = h.Qemu.Uuid };
        await using var changing = await HostController.OpenAsync(h.Options() with { Command = "unplug ga-dimm0" }, new StringWriter(), Token);

        var sameMonitor = await Assert.ThrowsAsync<Workflows.MonitorHeldException>(
            () => HostController.OpenAsync(h.Options() with { Command = "plug 128 MiB", QmpTimeout = TimeSpan.FromSeconds(0.3) }, new StringWriter(), Token));
        var secondMonitor = await Assert.ThrowsAsync<IOException>(
            () => HostController.OpenAsync(h.Options() with { Command = "plug 128 MiB", QmpPath = otherMonitor.Path }, new StringWriter(), Token));

        Assert.Contains($"is in use by guest-agent-host pid {Environment.ProcessId} (unplug ga-dimm0, since", sameMonitor.Message, StringComparison.Ordinal);
        Assert.Contains("give this command a monitor of its own", sameMonitor.Message, StringComparison.Ordinal);
        Assert.Contains($"guest-agent-host pid {Environment.ProcessId} (unplug ga-dimm0, since", secondMonitor.Message, StringComparison.Ordinal);
        Assert.Contains(".lock; wait for it to finish", secondMonitor.Message, StringComparison.Ordinal);
    }

    /// <summary>Case 3: QEMU killed after device_del is said to be gone at once, not a 60 s timeout, and the guest is not asked to keep a DIMM it no longer has.</summary>
    [Fact]
    public async Task AQemuThatDiesAfterDeviceDelIsSaidToBeGone()
    {
        await using var h = new ControllerHarness();
        await using var controller = await h.OpenAsync();
        await controller.PlugAsync(256 * M, null, Token);
        h.Qemu.EjectBehaviour = "die";

        var e = await Assert.ThrowsAsync<HostCommandException>(() => controller.UnplugAsync("ga-dimm0", force: false, Token));

        Assert.StartsWith("QEMU closed its QMP connection", e.Message, StringComparison.Ordinal);
        Assert.Contains("before saying how the removal ended: it quit or was killed. The VM is gone, and ga-dimm0 with it", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("within 60 s", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("cancel-unplug", h.Agent.RequestNames);
        Assert.Equal(DimmOperation.None, Assert.Single(h.SavedState().Dimms).Operation);
    }

    /// <summary>Case 7: when the next command finds an interrupted unplug carried out, the memory requested is the memory the VM has.</summary>
    [Fact]
    public async Task RequestedFollowsAnInterruptedUnplugThatRecoveryFindsDone()
    {
        await using var h = new ControllerHarness();
        await using (var controller = await h.OpenAsync())
        {
            await controller.PlugAsync(256 * M, null, Token);
            await controller.PlugAsync(256 * M, null, Token);
            controller.State.Find("ga-dimm1")!.Begin(DimmOperation.Deleting, DateTimeOffset.UtcNow); // killed after device_del
            controller.Session.Save();
        }

        h.Qemu.RemoveDimm("ga-dimm1"); // the guest ejected it meanwhile
        await using (var controller = await h.OpenAsync())
        {
            var status = await controller.StatusAsync(Token);
            Assert.Equal((1280 * M, 1280 * M), (status.CurrentMemory, status.RequestedMemory));
        }

        Assert.Equal(1280 * M, h.SavedState().RequestedMemory);
        Assert.Contains("ga-dimm1: its unplug finished while no controller was watching", h.Output.ToString(), StringComparison.Ordinal);
    }

    /// <summary>Case 8: a state file that is a folder or a dangling link, and folders that cannot be made, are said plainly; nothing stray is left.</summary>
    [Fact]
    public async Task StatePathsThatCannotWorkAreSaidPlainly()
    {
        await using var h = new ControllerHarness();
        using var dir = new TemporaryDirectory();
        var folder = Directory.CreateDirectory(Path.Combine(dir.Path, "vm.dimms.json")).FullName;
        var dangling = Path.Combine(dir.Path, "link.json");
        File.CreateSymbolicLink(dangling, Path.Combine(dir.Path, "gone", "state.json"));

        var isFolder = await CliAsync("--qmp", h.Qemu.Path, "--state", folder, "--lock-dir", h.LockDirectory, "plug", "128M");
        var isDangling = await CliAsync("--qmp", h.Qemu.Path, "--state", dangling, "--lock-dir", h.LockDirectory, "status");
        var noStateDir = await CliAsync("--qmp", h.Qemu.Path, "--state-dir", "/proc/no-such/state", "--lock-dir", h.LockDirectory, "plug", "128M");
        var noLockDir = await CliAsync("--qmp", h.Qemu.Path, "--state", Path.Combine(dir.Path, "s.json"), "--lock-dir", "/proc/no-such/locks", "status");

        Assert.True(isFolder.Code == 1, isFolder.Error);
        Assert.True(isFolder.Error.Contains($"the state file {folder} is a folder: give --state a file's path", StringComparison.Ordinal), isFolder.Error);
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder));
        Assert.False(File.Exists(folder + ".new"));
        Assert.Contains($"the state file {dangling} is a symbolic link to {Path.Combine(dir.Path, "gone", "state.json")}, which does not exist", isDangling.Error, StringComparison.Ordinal);
        Assert.Contains("cannot make the state folder /proc/no-such/state: ", noStateDir.Error, StringComparison.Ordinal);
        Assert.Contains("cannot make the lock folder /proc/no-such/locks: ", noLockDir.Error, StringComparison.Ordinal);
        Assert.All(new[] { isFolder.Error, isDangling.Error, noStateDir.Error, noLockDir.Error }, e => Assert.DoesNotContain("Could not", e, StringComparison.Ordinal));
        Assert.Empty(h.Qemu.DeviceIds);
    }

    /// <summary>Case 8: sockets that are files, and a state file of <c>{}</c>, which is rebuilt and said to be.</summary>
    [Fact]
    public async Task FilesWhereSocketsShouldBeAndAnEmptyStateFileAreSaid()
    {
        await using var h = new ControllerHarness();
        using var dir = new TemporaryDirectory();
        var file = Path.Combine(dir.Path, "not-a-socket");
        File.WriteAllText(file, "");
        File.WriteAllText(h.StatePath, "{}");

        var qmpIsFile = await CliAsync("--qmp", file, "--state", h.StatePath, "--lock-dir", h.LockDirectory, "status");
        var agentIsFile = await CliAsync("--qmp", h.Qemu.Path, "--agent", file, "--state", h.StatePath, "--lock-dir", h.LockDirectory, "status");
        h.Qemu.AddDimm("ga-dimm0", "ga-mem0", 128 * M);
        File.WriteAllText(h.StatePath, "{}");
        var rebuilt = await CliAsync("--qmp", h.Qemu.Path, "--state", h.StatePath, "--lock-dir", h.LockDirectory, "status");

        Assert.Contains($"no QMP socket: {file} is a file, not a socket", qmpIsFile.Error, StringComparison.Ordinal);
        Assert.Contains($"cannot connect to the agent's channel: {file} is a file, not a socket", agentIsFile.Output, StringComparison.Ordinal);
        Assert.Contains($"warning: the state file {h.StatePath} held nothing ({{}}): rebuilt from the hypervisor's view", rebuilt.Output, StringComparison.Ordinal);
        Assert.Equal("ga-dimm0", Assert.Single(h.SavedState().Dimms).Id);
    }

    /// <summary>Case 9: arguments are checked before anything is connected; ids are echoed safely; sizes are never raw byte counts.</summary>
    [Fact]
    public async Task ArgumentsFirstIdsSafeSizesReadable()
    {
        await using var h = new ControllerHarness();
        using var dir = new TemporaryDirectory();

        var badSizeDeadQmp = await CliAsync("--qmp", Path.Combine(dir.Path, "gone.sock"), "--lock-dir", Path.Combine(dir.Path, "locks"), "plug", "12X");
        var newline = await CliAsync([.. h.CliOptions(), "unplug", "ga-dimm0\n\u001b[2Jx\u202e"]);

        Assert.Equal(ExitCodes.Usage, badSizeDeadQmp.Code);
        Assert.StartsWith("guest-agent-host: SIZE: ", badSizeDeadQmp.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir.Path));
        Assert.Contains("no DIMM 'ga-dimm0\\u000a\\u001b[2Jx\\u202e'", newline.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("\n\u001b", newline.Error, StringComparison.Ordinal);
        Assert.Equal("741.5 MiB", GuestAgent.Protocol.Sizes.ByteSize.Format(777519104));
    }
}
