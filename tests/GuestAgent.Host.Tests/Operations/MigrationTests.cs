using GuestAgent.Host.Operations;
using GuestAgent.Host.State;
using GuestAgent.Host.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace GuestAgent.Host.Tests.Operations;

/// <summary>
/// Live migration on bare QEMU (issue 21) against simulated QEMUs that keep QEMU 7.2's migration contract as measured
/// (docs: real-stack-facts.md): the destination started with -incoming says <c>inmigrate</c>; once it completes, the
/// source's run state is <c>postmigrate</c> and the destination runs, its <c>query-migrate</c> saying <c>completed</c>
/// too. The same paths run against two real QEMUs in the end-to-end migration scenario.
/// </summary>
public sealed class MigrationTests : IAsyncDisposable
{
    private const long M = 1L << 20;

    private readonly ControllerHarness _h = new();
    private readonly SimulatedQemu _destination;

    public MigrationTests()
    {
        _destination = new SimulatedQemu { Uuid = _h.Qemu.Uuid, RunState = "inmigrate" };
        _h.Qemu.Destination = _destination;
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>Both QEMUs with the same DIMMs, as a destination started with qemu-args' arguments has them.</summary>
    private async Task WithDimmsOnBothAsync()
    {
        await using var controller = await _h.OpenAsync();
        await controller.PlugAsync(256 * M, null, Token);
        await controller.PlugAsync(128 * M, null, Token);
        _destination.AddDimm("ga-dimm0", "ga-mem0", 256 * M, hotplugged: false);
        _destination.AddDimm("ga-dimm1", "ga-mem1", 128 * M, hotplugged: false);
    }

    [Fact]
    public async Task AMigrationMovesTheVmAndItsStateAndTheDestinationIsAVmLikeAnyOther()
    {
        await WithDimmsOnBothAsync();
        await using (var controller = await _h.OpenAsync())
        {
            var record = await controller.MigrateAsync("unix:/run/vm/mig.sock", _destination.Path, null, Token);

            Assert.Equal(("completed", 14L), (record.Outcome, record.DowntimeMs));
            Assert.Equal(["ga-dimm0", "ga-dimm1"], record.Devices);
        }

        var output = _h.Output.ToString();
        Assert.Contains("the destination at " + _destination.Path + " waits for this VM with the same memory devices", output, StringComparison.Ordinal);
        Assert.Contains("migrated to unix:/run/vm/mig.sock in ", output, StringComparison.Ordinal);
        Assert.Contains("downtime 14 ms", output, StringComparison.Ordinal);
        Assert.Contains("the destination runs it", output, StringComparison.Ordinal);
        Assert.Equal(("postmigrate", "running"), (_h.Qemu.RunState, _destination.RunState));
        Assert.Single(_h.SavedState().Migrations);
        Assert.Null(_h.SavedState().Migrating);

        await using (var source = await _h.OpenAsync())
        {
            var refused = await Assert.ThrowsAsync<HostCommandException>(() => source.PlugAsync(128 * M, null, Token));
            Assert.StartsWith("refusing to plug 128 MiB: this VM has migrated away (QEMU's run state postmigrate", refused.Message, StringComparison.Ordinal);
            Assert.Contains("migrated away", (await source.StatusAsync(Token)).Migration, StringComparison.Ordinal);
        }

        var onDestination = _h.Options() with { QmpPath = _destination.Path };
        await using (var destination = await HostController.OpenAsync(onDestination, new StringWriter(), Token))
        {
            var status = await destination.StatusAsync(Token);
            Assert.Equal(["ga-dimm0", "ga-dimm1"], status.Dimms.Select(d => d.Id));
            Assert.All(destination.State.Dimms, d => Assert.False(d.Adopted)); // found as this controller's, with their history
            Assert.StartsWith("to unix:/run/vm/mig.sock at ", status.LastMigration, StringComparison.Ordinal);
            await destination.UnplugAsync("ga-dimm1", force: false, Token);
        }

        Assert.Equal(["ga-dimm0"], _destination.DeviceIds);
    }

    [Fact]
    public async Task ADestinationWithoutTheDimmsIsRefusedBeforeAnythingStarts()
    {
        await WithDimmsOnBothAsync();
        await using var lacking = new SimulatedQemu { Uuid = _h.Qemu.Uuid, RunState = "inmigrate" };
        await using var controller = await _h.OpenAsync();

        var e = await Assert.ThrowsAsync<HostCommandException>(() => controller.MigrateAsync("unix:/x", lacking.Path, null, Token));

        Assert.Contains("ga-dimm0 (256 MiB in slot 0) is missing there: start the destination with the arguments qemu-args prints", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("nothing was started, the VM stays here", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("migrate", _h.Qemu.CommandNames);
        Assert.Null(_h.SavedState().Migrating);
    }

    [Fact]
    public async Task ADestinationOfAnotherVmOrNotWaitingIsRefused()
    {
        await using var other = new SimulatedQemu { RunState = "running" };
        await using var controller = await _h.OpenAsync();

        var e = await Assert.ThrowsAsync<HostCommandException>(() => controller.MigrateAsync("unix:/x", other.Path, null, Token));

        Assert.Contains("it is another VM (UUID " + other.Uuid, e.Message, StringComparison.Ordinal);
        Assert.Contains("it does not wait for a migration (QEMU's run state running): start it with -incoming", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("migrate", _h.Qemu.CommandNames);
    }

    [Fact]
    public async Task AMigrationIsRefusedWhileADimmOperationIsInFlight()
    {
        await WithDimmsOnBothAsync();
        _h.Agent.SilentDuringPrepare = true; // the unplug stays in the guest's prepare
        await using (var controller = await _h.OpenAsync())
        {
            controller.State.Find("ga-dimm0")!.Begin(DimmOperation.Preparing, DateTimeOffset.UtcNow);
            controller.Session.Save();
        }

        await using var next = await _h.OpenAsync(withAgent: false); // no agent: recovery cannot roll it back
        var e = await Assert.ThrowsAsync<HostCommandException>(() => next.MigrateAsync("unix:/x", null, null, Token));

        Assert.StartsWith("refusing to migrate: ga-dimm0 is in the middle of unplug (guest preparing)", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("migrate", _h.Qemu.CommandNames);
    }

    [Fact]
    public async Task AFailedMigrationLeavesTheVmHereAndNothingMoved()
    {
        await WithDimmsOnBothAsync();
        _h.Qemu.MigrationFails = "Unable to write to socket: Broken pipe";
        await using var controller = await _h.OpenAsync();

        var e = await Assert.ThrowsAsync<HostCommandException>(() => controller.MigrateAsync("unix:/x", null, null, Token));

        Assert.Equal("the migration to unix:/x failed: Unable to write to socket: Broken pipe; the VM keeps running here and nothing moved", e.Message);
        Assert.Equal("running", _h.Qemu.RunState);
        Assert.Empty(_h.SavedState().Migrations);
        Assert.Null(_h.SavedState().Migrating);
        await controller.PlugAsync(128 * M, null, Token); // the VM is this side's still
    }

    [Fact]
    public async Task StoppingTheCommandCancelsTheMigration()
    {
        await WithDimmsOnBothAsync();
        _h.Qemu.MigrationPolls = int.MaxValue;
        await using var controller = await _h.OpenAsync();
        using var stop = new CancellationTokenSource();

        var migrating = controller.MigrateAsync("unix:/x", null, null, stop.Token);
        await _h.Qemu.Answered("migrate").WaitAsync(Token);
        await stop.CancelAsync();
        var e = await Assert.ThrowsAsync<HostCommandException>(() => migrating);

        Assert.Equal("the migration to unix:/x cancelled; the VM keeps running here and nothing moved", e.Message);
        Assert.Contains("migrate_cancel", _h.Qemu.CommandNames);
        Assert.Equal("running", _h.Qemu.RunState);
        Assert.Null(_h.SavedState().Migrating);
    }

    [Fact]
    public async Task AMigrationWhoseControllerDiedIsRecordedByTheNextOne()
    {
        await WithDimmsOnBothAsync();
        await using (var controller = await _h.OpenAsync())
        {
            controller.State.Migrating = new MigrationRecord { To = "unix:/x", Started = DateTimeOffset.UtcNow, Devices = ["ga-dimm0"] };
            controller.Session.Save();
        }

        (_h.Qemu.RunState, _h.Qemu.MigrationStatus) = ("postmigrate", "completed"); // it completed meanwhile
        (_destination.RunState, _destination.MigrationStatus) = ("running", "completed");
        await using (await HostController.OpenAsync(_h.Options() with { QmpPath = _destination.Path }, _h.Output, Token))
        {
        }

        Assert.Contains("the migration to unix:/x started", _h.Output.ToString(), StringComparison.Ordinal);
        Assert.Contains("completed while no controller was watching", _h.Output.ToString(), StringComparison.Ordinal);
        Assert.Equal("completed", Assert.Single(_h.SavedState().Migrations).Outcome);
        Assert.Null(_h.SavedState().Migrating);
    }

    /// <summary>A resize asked just before a migration stands still while it runs: held, not a stall; the VM leaving is said.</summary>
    [Fact]
    public async Task AResizeHeldByAMigrationIsNotAStallAndItsMoveIsSaid()
    {
        _h.Qemu.Destination = null; // a migration someone else runs, for as long as the test says
        _h.Qemu.VirtioMem = new SimulatedVirtioMem();
        _h.Qemu.VirtioMemDriver = _ => _h.Qemu.VirtioMem!.Size; // QEMU answers the driver BUSY: nothing moves
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var controller = await HostController.OpenAsync(_h.Options() with { ResizeStallTimeout = TimeSpan.FromSeconds(2) }, _h.Output, Token, time);

        var resize = controller.SetMemoryAsync((1L << 30) + (256 * M), force: false, Token);
        await _h.Qemu.Answered("qom-set").WaitAsync(Token);
        _h.Qemu.SetMigration("running", "active");
        for (var i = 0; i < 20 && !resize.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(5, Token);
        }

        var stillFollowing = !resize.IsCompleted;
        var early = resize.IsCompleted ? (resize.Exception?.InnerException?.Message ?? "completed") : "";
        _h.Qemu.SetMigration("postmigrate", "completed");
        for (var i = 0; i < 20 && !resize.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(5, Token);
        }

        var e = await Assert.ThrowsAsync<HostCommandException>(() => resize);
        Assert.True(stillFollowing, "20 s held by the migration were taken for a stall: " + early);
        Assert.Contains("held by a migration (QEMU's run state running, migration status active): QEMU answers the guest's driver BUSY until it ends; this is not a stall", _h.Output.ToString(), StringComparison.Ordinal);
        Assert.True(e.Message.StartsWith("the VM migrated away during the resize of virtio-mem vm0", StringComparison.Ordinal), e.Message + "\n" + _h.Output + "\n" + string.Join("\n", _h.Qemu.CommandNames));
        Assert.Contains("the destination carries the request", e.Message, StringComparison.Ordinal);
        Assert.Equal(256 * M, _h.Qemu.VirtioMem!.RequestedSize); // not set back: the destination completes it
    }

    public async ValueTask DisposeAsync()
    {
        await _destination.DisposeAsync();
        await _h.DisposeAsync();
    }
}
