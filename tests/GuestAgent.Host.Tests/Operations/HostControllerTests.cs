using GuestAgent.Host.Operations;
using GuestAgent.Host.State;

namespace GuestAgent.Host.Tests.Operations;

public sealed class HostControllerTests
{
    private const long M = 1L << 20;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PlugAddsBackendThenDeviceWithReproducibleIds()
    {
        await using var h = new ControllerHarness();
        await using (var controller = await h.OpenAsync())
        {
            await controller.PlugAsync(256 * M, null, Token);
            await controller.PlugAsync(128 * M, null, Token);
        }

        Assert.Equal(["ga-dimm0", "ga-dimm1"], h.Qemu.DeviceIds);
        Assert.Equal(["ga-mem0", "ga-mem1"], h.Qemu.BackendIds.Order());
        Assert.All(h.SavedState().Dimms, d => Assert.Equal(DimmOperation.None, d.Operation));
        Assert.Contains("guest: 2 blocks online in Movable", h.Output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AQemuRefusalLeavesNothingHalfDone()
    {
        await using var h = new ControllerHarness();
        await using var controller = await h.OpenAsync();

        var e = await Assert.ThrowsAsync<HostCommandException>(() => controller.PlugAsync(256 * M, 3, Token));

        Assert.Contains("QEMU refused the DIMM", e.Message, StringComparison.Ordinal);
        Assert.Empty(h.Qemu.BackendIds);
        Assert.Empty(h.SavedState().Dimms);
    }

    [Theory]
    [InlineData("running", "active", "a migration of this VM is under way (QEMU's run state running, migration status active)")]
    [InlineData("postmigrate", "completed", "this VM has migrated away (QEMU's run state postmigrate, migration status completed)")]
    [InlineData("inmigrate", null, "this VM is still arriving by migration (QEMU's run state inmigrate)")]
    public async Task PlugAndUnplugAreRefusedDuringAMigrationBeforeAnythingIsAsked(string runState, string? status, string why)
    {
        await using var h = new ControllerHarness();
        await using var controller = await h.OpenAsync();
        await controller.PlugAsync(256 * M, null, Token);
        (h.Qemu.RunState, h.Qemu.MigrationStatus) = (runState, status);

        var plug = await Assert.ThrowsAsync<HostCommandException>(() => controller.PlugAsync(128 * M, null, Token));
        var unplug = await Assert.ThrowsAsync<HostCommandException>(() => controller.UnplugAsync("ga-dimm0", force: true, Token));

        Assert.StartsWith($"refusing to plug 128 MiB: {why}", plug.Message, StringComparison.Ordinal);
        Assert.StartsWith($"refusing to unplug ga-dimm0: {why}", unplug.Message, StringComparison.Ordinal);
        Assert.Equal(["ga-dimm0"], h.Qemu.DeviceIds);
        Assert.DoesNotContain("device_del", h.Qemu.CommandNames);
        Assert.DoesNotContain("prepare-unplug", h.Agent.RequestNames);

        (h.Qemu.RunState, h.Qemu.MigrationStatus) = ("running", "failed"); // the migration ended on this side: changes are allowed again
        await controller.UnplugAsync("ga-dimm0", force: false, Token);
        Assert.Empty(h.Qemu.DeviceIds);
    }

    /// <summary>A destination after an incoming migration says "completed" too, but runs the VM: it is a VM like any other (issue 21).</summary>
    [Fact]
    public async Task TheDestinationOfAMigrationIsAVmLikeAnyOther()
    {
        await using var h = new ControllerHarness();
        await using var controller = await h.OpenAsync();
        (h.Qemu.RunState, h.Qemu.MigrationStatus) = ("running", "completed");

        await controller.PlugAsync(256 * M, null, Token);
        await controller.UnplugAsync("ga-dimm0", force: false, Token);

        Assert.Empty(h.Qemu.DeviceIds);
    }

    [Fact]
    public async Task LimitsAreCheckedBeforeQemuIsAsked()
    {
        await using var h = new ControllerHarness();
        await using var controller = await h.OpenAsync();

        var unaligned = await Assert.ThrowsAsync<HostCommandException>(() => controller.PlugAsync(192 * M, null, Token));
        var tooMuch = await Assert.ThrowsAsync<HostCommandException>(() => controller.PlugAsync(4 * 1024 * M, null, Token));

        Assert.Contains("block size", unaligned.Message, StringComparison.Ordinal);
        Assert.Contains("beyond the VM's maximum", tooMuch.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("object-add", h.Qemu.CommandNames);
    }

    [Fact]
    public async Task UnplugPreparesThenDeletesThenRemovesTheBackend()
    {
        await using var h = new ControllerHarness();
        await using var controller = await h.OpenAsync();
        await controller.PlugAsync(256 * M, null, Token);

        await controller.UnplugAsync("ga-dimm0", force: false, Token);

        Assert.Empty(h.Qemu.DeviceIds);
        Assert.Empty(h.Qemu.BackendIds);
        Assert.Empty(h.SavedState().Dimms);
        Assert.Contains("prepare-unplug", h.Agent.RequestNames);
        Assert.DoesNotContain("cancel-unplug", h.Agent.RequestNames);
        var commands = h.Qemu.CommandNames.ToList();
        Assert.True(commands.IndexOf("device_del") < commands.IndexOf("object-del"));
        Assert.Contains("unplugged ga-dimm0", h.Output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task QemusRefusalIsReportedAndTheGuestOnlinesTheDimmAgain()
    {
        await using var h = new ControllerHarness();
        await using var controller = await h.OpenAsync();
        await controller.PlugAsync(256 * M, null, Token);
        h.Qemu.EjectBehaviour = "refuse";

        var e = await Assert.ThrowsAsync<HostCommandException>(() => controller.UnplugAsync("ga-dimm0", force: false, Token));

        Assert.Contains("_OST status 0x82 (device busy)", e.Message, StringComparison.Ordinal);
        Assert.Equal(["ga-dimm0"], h.Qemu.DeviceIds);
        Assert.Contains("cancel-unplug", h.Agent.RequestNames);
        Assert.Empty(h.Agent.Prepared);
        Assert.Equal(DimmOperation.None, Assert.Single(h.SavedState().Dimms).Operation);
    }

    [Fact]
    public async Task ATimeoutRollsBackToo()
    {
        await using var h = new ControllerHarness();
        await using var controller = await h.OpenAsync();
        await controller.PlugAsync(256 * M, null, Token);
        h.Qemu.EjectBehaviour = "ignore";

        var e = await Assert.ThrowsAsync<HostCommandException>(() => controller.UnplugAsync("ga-dimm0", force: false, Token));

        Assert.Contains("did not report ga-dimm0 deleted", e.Message, StringComparison.Ordinal);
        Assert.Empty(h.Agent.Prepared);
    }

    [Fact]
    public async Task TheGuestsWordDecides()
    {
        await using var h = new ControllerHarness();
        await using var controller = await h.OpenAsync();
        await controller.PlugAsync(256 * M, null, Token);
        h.Agent.NotReady[0] = ("not-ready", "memory33 is in zone Normal");

        var refused = await Assert.ThrowsAsync<HostCommandException>(() => controller.UnplugAsync("ga-dimm0", force: false, Token));
        h.Qemu.EjectBehaviour = "refuse";
        var forced = await Assert.ThrowsAsync<HostCommandException>(() => controller.UnplugAsync("ga-dimm0", force: true, Token));

        Assert.Contains("memory33 is in zone Normal", refused.Message, StringComparison.Ordinal);
        Assert.Contains("0x82", forced.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("prepare-unplug", h.Agent.RequestNames);
        Assert.Single(h.Qemu.CommandNames, "device_del");
    }

    [Fact]
    public async Task AGuestThatCannotOfflineStopsTheUnplugBeforeQemu()
    {
        await using var h = new ControllerHarness();
        await using var controller = await h.OpenAsync();
        await controller.PlugAsync(256 * M, null, Token);
        h.Agent.PrepareFailsWith = "EBUSY";

        var e = await Assert.ThrowsAsync<HostCommandException>(() => controller.UnplugAsync("ga-dimm0", force: false, Token));

        Assert.Contains("could not offline ga-dimm0", e.Message, StringComparison.Ordinal);
        Assert.Contains("EBUSY", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("device_del", h.Qemu.CommandNames);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnAgentStoppingOrRestartingMidPrepareIsReportedAndQemuIsNotAsked(bool restarts)
    {
        await using var h = new ControllerHarness();
        await using var controller = await h.OpenAsync();
        await controller.PlugAsync(256 * M, null, Token);
        h.Agent.StopsDuringPrepare = !restarts;
        h.Agent.RestartsDuringPrepare = restarts;

        var e = await Assert.ThrowsAsync<HostCommandException>(() => controller.UnplugAsync("ga-dimm0", force: false, Token));

        Assert.Contains("went away during prepare-unplug", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("device_del", h.Qemu.CommandNames);
        Assert.Equal(DimmOperation.None, Assert.Single(h.SavedState().Dimms).Operation);
    }

    [Theory]
    [InlineData("silent", "did not answer")]
    [InlineData("junk", "lines of junk")]
    public async Task WithoutAnAnsweringAgentPlugWorksAndUnplugNeedsForce(string mode, string problem)
    {
        await using var h = new ControllerHarness();
        h.Agent.Mode = mode;
        await using var controller = await h.OpenAsync();

        await controller.PlugAsync(256 * M, null, Token);
        var e = await Assert.ThrowsAsync<HostCommandException>(() => controller.UnplugAsync("ga-dimm0", force: false, Token));
        await controller.UnplugAsync("ga-dimm0", force: true, Token);

        Assert.Contains(problem, controller.AgentProblem, StringComparison.Ordinal);
        Assert.Contains("--force", e.Message, StringComparison.Ordinal);
        Assert.Empty(h.Qemu.DeviceIds);
    }

    [Fact]
    public async Task UnknownIdsListWhatExists()
    {
        await using var h = new ControllerHarness();
        h.Qemu.AddDimm("dimm7", "mem7", 256 * M);
        await using var controller = await h.OpenAsync();

        var e = await Assert.ThrowsAsync<HostCommandException>(() => controller.UnplugAsync("dimm9", force: false, Token));

        Assert.Contains("no DIMM 'dimm9'; the hypervisor has: dimm7", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SetMemoryReproducesTheOvirtExample()
    {
        await using var h = new ControllerHarness();
        await using var controller = await h.OpenAsync();
        foreach (var size in new[] { 256, 256, 128, 128 })
        {
            await controller.PlugAsync(size * M, null, Token);
        }

        var ended = await controller.SetMemoryAsync(1400 * M, force: false, Token);

        Assert.Equal(1408 * M, ended);
        Assert.Equal(["ga-dimm0", "ga-dimm2"], h.Qemu.DeviceIds);
        Assert.Equal(1400 * M, h.SavedState().RequestedMemory);
    }

    [Fact]
    public async Task SetMemoryGrowsWithOneRoundedDimmAndSkipsDimmsTheGuestNeeds()
    {
        await using var h = new ControllerHarness();
        await using var controller = await h.OpenAsync();

        await controller.SetMemoryAsync(1300 * M, force: false, Token);
        Assert.Equal([(int)(384 * M / M)], h.Qemu.Dimms.Select(d => (int)(d.Size / M)));

        h.Agent.NotReady[0] = ("not-ready", "memory32 is in zone Normal");
        var e = await Assert.ThrowsAsync<HostCommandException>(() => controller.SetMemoryAsync(1024 * M, force: false, Token));
        Assert.Contains("skipped: ga-dimm0 (not ready: memory32 is in zone Normal)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARestartedControllerFinishesAnUnplugQemuCompleted()
    {
        await using var h = new ControllerHarness();
        await using (var first = await h.OpenAsync())
        {
            await first.PlugAsync(256 * M, null, Token);
        }

        // As if the controller died after device_del, before object-del: the state says Deleting, QEMU has let go.
        var state = h.SavedState();
        state.Dimms[0].Begin(DimmOperation.Deleting, DateTimeOffset.UtcNow.AddMinutes(-5));
        new StateStore(h.StatePath).Save(state);
        h.Qemu.EjectBehaviour = "eject";
        await using (var qmp = await GuestAgent.Host.Qmp.QmpClient.ConnectAsync(h.Qemu.Path, TimeSpan.FromSeconds(5), Token))
        {
            await qmp.ExecuteAsync("device_del", new System.Text.Json.Nodes.JsonObject { ["id"] = "ga-dimm0" }, Token);
        }

        await using (var second = await h.OpenAsync())
        {
            Assert.Empty(second.State.Dimms);
        }

        Assert.Empty(h.Qemu.BackendIds);
        Assert.Contains("unplug finished while no controller was watching", h.Output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARestartedControllerRollsBackAnUnplugCutShortInTheGuest()
    {
        await using var h = new ControllerHarness();
        await using (var first = await h.OpenAsync())
        {
            await first.PlugAsync(256 * M, null, Token);
        }

        var state = h.SavedState();
        state.Dimms[0].Begin(DimmOperation.Preparing, DateTimeOffset.UtcNow);
        new StateStore(h.StatePath).Save(state);
        h.Agent.Prepared[0] = true;

        await using (var second = await h.OpenAsync())
        {
            Assert.Equal(DimmOperation.None, Assert.Single(second.State.Dimms).Operation);
        }

        Assert.Empty(h.Agent.Prepared);
        Assert.Equal(["ga-dimm0"], h.Qemu.DeviceIds);
        Assert.Contains("rolled back", h.Output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task APlugCutShortBeforeDeviceAddIsUndone()
    {
        await using var h = new ControllerHarness();
        await using (var qmp = await GuestAgent.Host.Qmp.QmpClient.ConnectAsync(h.Qemu.Path, TimeSpan.FromSeconds(5), Token))
        {
            await qmp.ExecuteAsync("object-add", new System.Text.Json.Nodes.JsonObject { ["qom-type"] = "memory-backend-ram", ["id"] = "ga-mem0", ["size"] = 256 * M }, Token);
        }

        var state = new ControllerState();
        var record = new DimmRecord { Id = "ga-dimm0", Backend = "ga-mem0", Size = 256 * M };
        record.Begin(DimmOperation.AddingDevice, DateTimeOffset.UtcNow);
        state.Dimms.Add(record);
        new StateStore(h.StatePath).Save(state);

        await using (var controller = await h.OpenAsync())
        {
            Assert.Empty(controller.State.Dimms);
        }

        Assert.Empty(h.Qemu.BackendIds);
    }

    [Fact]
    public async Task StatusJoinsQemuAndTheGuestAndAdoptsForeignDimms()
    {
        await using var h = new ControllerHarness();
        h.Qemu.AddDimm("dimm7", "mem7", 256 * M);
        await using var controller = await h.OpenAsync();
        await controller.PlugAsync(128 * M, null, Token);
        h.Agent.NotReady[1] = ("not-ready", "memory34 is in zone Normal");

        var status = await controller.StatusAsync(Token);

        Assert.Equal((1024 * M, 1408 * M, 8, 2, 6), (status.BootMemory, status.CurrentMemory, status.Slots!.Value, status.SlotsUsed, status.FreeSlots!.Value));
        Assert.Equal(4096 * M - 1408 * M, status.RoomLeft);
        Assert.Equal(["dimm7", "ga-dimm0"], status.Dimms.Select(d => d.Id));
        Assert.Equal(("ready", "Movable"), (status.Dimms[0].Readiness, status.Dimms[0].GuestZones.Single()));
        Assert.Equal("memory34 is in zone Normal", status.Dimms[1].Reason);
        Assert.True(h.SavedState().Find("dimm7")!.Adopted);
    }
}
