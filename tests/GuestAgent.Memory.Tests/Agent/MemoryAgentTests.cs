using GuestAgent.Memory.Agent;
using GuestAgent.Memory.Policy;
using GuestAgent.Memory.Readiness;
using GuestAgent.Memory.Uevents;
using GuestAgent.Memory.Writing;
using GuestAgent.TestSupport;

namespace GuestAgent.Memory.Tests.Agent;

public class MemoryAgentTests
{
    [Fact]
    public async Task AtStartEveryOfflineDimmIsOnlinedMovableAndBootMemoryIsLeftAlone()
    {
        await using var h = new AgentHarness(t => t.AddBootMemory(8).AddDimm(0, 32, 2).AddDimm(1, 34, 2));
        await h.StartAsync();

        Assert.All([32, 33, 34, 35], id => Assert.Equal("Movable", h.Tree.ReadZones(id)));
        Assert.DoesNotContain(h.Writer.Writes, w => w.Block < 8);
        var view = h.Agent.View;
        Assert.Equal(ReadinessState.Ready, view.Readiness["slot0"].State);
        Assert.Equal(ReadinessState.BootMemory, view.Readiness["boot@0x0"].State);
        Assert.Contains(h.Events, e => e.Kind == AgentEventKind.BlockOnlined && e.Subject == "memory33" && e.Zone == "Movable");
    }

    [Fact]
    public async Task ADimmAnnouncedByUeventsIsOnlinedWholeHighestFirst()
    {
        await using var h = new AgentHarness(t => t.AddBootMemory(8));
        await h.StartAsync();

        h.Tree.AddDimm(0, 32, 4);
        foreach (var id in new[] { 32, 33, 34, 35 })
        {
            h.Uevents.SendMemory("add", id);
        }

        await h.WaitForZoneAsync(32, "Movable");
        Assert.True(
            h.Writer.Writes.Select(w => w.Block).SequenceEqual([35, 34, 33, 32]),
            "writes: " + string.Join(", ", h.Writer.Writes));
        Assert.All(h.Writer.Writes, w => Assert.Equal("online_movable", w.Word));
    }

    [Fact]
    public async Task ABlockOfflinedOutsideTheAgentIsLeftOffline()
    {
        await using var h = new AgentHarness(t => t.AddBootMemory(8).AddDimm(0, 32, 2, "online", "Movable"));
        await h.StartAsync();

        h.Tree.SetBlock(33, "offline", "Normal Movable");
        h.Uevents.SendMemory("offline", 33);
        await h.WhenAsync(() => h.Agent.View.Snapshot.FindBlock(33)!.State == Model.BlockState.Offline, "offline seen");
        await h.Agent.ReconcileAsync("test", TestContext.Current.CancellationToken);

        Assert.Equal("offline", h.Tree.ReadState(33));
        Assert.Empty(h.Writer.Writes);
        Assert.Contains(h.Logger.Inner.Lines, l => l.Contains("memory33 was offlined outside the agent"));
    }

    /// <summary>Issue 25, case 9: cancelling a DIMM that was never prepared is no news, and not a warning about a journal that never was.</summary>
    [Fact]
    public async Task CancellingADimmNeverPreparedWarnsOfNothing()
    {
        await using var h = new AgentHarness(t => t.AddBootMemory(8).AddDimm(0, 32, 2, "online", "Movable"));
        await h.StartAsync();

        var cancelled = await h.Agent.CancelUnplugAsync(DimmSelector.ForSlot(0), TestContext.Current.CancellationToken);

        Assert.True(cancelled.Succeeded);
        Assert.Empty(h.Logger.Inner.Warnings);
    }

    [Fact]
    public async Task PrepareUnplugOfflinesAndHoldsTheDimmOfflineUntilCancelled()
    {
        await using var h = new AgentHarness(t => t.AddBootMemory(8).AddDimm(0, 32, 2, "online", "Movable"));
        await h.StartAsync();

        var prepared = await h.Agent.PrepareUnplugAsync(DimmSelector.ForSlot(0), TestContext.Current.CancellationToken);
        await h.Agent.ReconcileAsync("resync", TestContext.Current.CancellationToken);

        Assert.True(prepared.Succeeded);
        Assert.Equal("offline", h.Tree.ReadState(32));
        Assert.Equal("offline", h.Tree.ReadState(33));
        Assert.Equal((ReadinessState.Ready, "all 2 blocks offline"), (h.Agent.View.Readiness["slot0"].State, h.Agent.View.Readiness["slot0"].Reason));
        Assert.Contains(h.Events, e => e.Kind == AgentEventKind.PrepareUnplugFinished && e.Operation!.Succeeded);
        Assert.Contains(h.Events, e => e.Kind == AgentEventKind.DimmReadinessChanged && e.Readiness!.State == ReadinessState.Busy);

        var cancelled = await h.Agent.CancelUnplugAsync(DimmSelector.ForSlot(0), TestContext.Current.CancellationToken);

        Assert.True(cancelled.Succeeded);
        Assert.Equal("Movable", h.Tree.ReadZones(32));
        Assert.Equal("Movable", h.Tree.ReadZones(33));
    }

    [Fact]
    public async Task AFailedPrepareRollsBackAndTheDimmIsUsableAgain()
    {
        await using var h = new AgentHarness(t => t.AddBootMemory(8).AddDimm(0, 32, 2, "online", "Movable"));
        await h.StartAsync();
        h.Writer.FailWith(33, BlockStateRequest.Offline, Errno.EBUSY);

        var result = await h.Agent.PrepareUnplugAsync(DimmSelector.ForSlot(0), TestContext.Current.CancellationToken);

        Assert.False(result.Succeeded);
        Assert.True(result.RolledBack);
        Assert.Equal("Movable", h.Tree.ReadZones(32));
        Assert.Equal(ReadinessState.Ready, h.Agent.View.Readiness["slot0"].State);
        Assert.Equal(Errno.EBUSY, h.Agent.View.LastOutcomes[33].Errno);
    }

    [Fact]
    public async Task OperationsAreRefusedForUnknownBootAndBusyDimms()
    {
        await using var h = new AgentHarness(t => t.AddBootMemory(8).AddDimm(0, 32, 2, "online", "Movable"));
        await h.StartAsync();

        var unknown = await Assert.ThrowsAsync<MemoryOperationException>(() => h.Agent.PrepareUnplugAsync(DimmSelector.ForSlot(7), TestContext.Current.CancellationToken));
        Assert.Equal(MemoryOperationError.NotFound, unknown.Error);
        var boot = await Assert.ThrowsAsync<MemoryOperationException>(() => h.Agent.PrepareUnplugAsync(DimmSelector.ForId("boot@0x0"), TestContext.Current.CancellationToken));
        Assert.Equal(MemoryOperationError.NotRemovable, boot.Error);
        var unaligned = await Assert.ThrowsAsync<MemoryOperationException>(() => h.Agent.PrepareUnplugAsync(DimmSelector.ForRange(1, 2), TestContext.Current.CancellationToken));
        Assert.Equal(MemoryOperationError.BadArgument, unaligned.Error);

        h.Writer.DelayBy(32, BlockStateRequest.Offline, TimeSpan.FromMinutes(5));
        var slow = h.Agent.PrepareUnplugAsync(DimmSelector.ForSlot(0), TestContext.Current.CancellationToken);
        await h.WhenAsync(() => h.Agent.View.Readiness["slot0"].State == ReadinessState.Busy, "busy");
        var busy = await Assert.ThrowsAsync<MemoryOperationException>(() => h.Agent.PrepareUnplugAsync(DimmSelector.ForSlot(0), TestContext.Current.CancellationToken));
        Assert.Equal(MemoryOperationError.Busy, busy.Error);

        var cancelled = await h.Agent.CancelUnplugAsync(DimmSelector.ForSlot(0), TestContext.Current.CancellationToken);
        var stopped = await slow;

        Assert.False(stopped.Succeeded);
        Assert.True(cancelled.Succeeded);
        Assert.Equal("online", h.Tree.ReadState(32));
        Assert.Equal(ReadinessState.Ready, h.Agent.View.Readiness["slot0"].State);
    }

    [Fact]
    public async Task AnAddressRangeCanBePreparedLikeADimm()
    {
        await using var h = new AgentHarness(t => t.AddBootMemory(8).AddDimm(0, 32, 4, "online", "Movable"));
        await h.StartAsync();
        var bs = h.Tree.BlockSize;

        var result = await h.Agent.PrepareUnplugAsync(DimmSelector.ForRange(34 * bs, 2 * bs), TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded);
        Assert.Equal(["online", "online", "offline", "offline"], new[] { 32, 33, 34, 35 }.Select(h.Tree.ReadState));
    }

    [Fact]
    public async Task LostUeventsLeadToAFullRescan()
    {
        await using var h = new AgentHarness(t => t.AddBootMemory(8));
        await h.StartAsync();

        h.Tree.AddDimm(0, 32, 2);
        h.Uevents.Send(Uevent.Overflow);

        await h.WaitForZoneAsync(32, "Movable");
        Assert.Contains(h.Logger.Inner.Warnings, l => l.Contains("lost"));
    }

    [Fact]
    public async Task RemovedBlocksAreReportedAndForgotten()
    {
        await using var h = new AgentHarness(t => t.AddBootMemory(8).AddDimm(0, 32, 2, "online", "Movable"));
        await h.StartAsync();

        h.Tree.RemoveBlock(32);
        h.Tree.RemoveBlock(33);
        h.Uevents.SendMemory("remove", 33);

        await h.WhenAsync(() => h.Events.Any(e => e.Kind == AgentEventKind.BlockRemoved && e.Subject == "memory33"), "remove event");
        Assert.Null(h.Agent.View.Snapshot.FindDimmBySlot(0));
    }

    [Fact]
    public async Task ANewPolicyAppliesToDimmsThatComeLater()
    {
        await using var h = new AgentHarness(t => t.AddBootMemory(8));
        await h.StartAsync();

        h.Agent.SetPolicy(new OnlinePolicy(OnlinePolicyKind.Kernel));
        h.Tree.AddDimm(0, 32, 1);
        h.Uevents.SendMemory("add", 32);

        await h.WaitForZoneAsync(32, "Normal");
        Assert.Contains(h.Events, e => e.Kind == AgentEventKind.PolicyChanged);
    }

    [Fact]
    public async Task TheModelIsReadyOnlyAfterTheFirstReconcile()
    {
        await using var h = new AgentHarness(t => t.AddBootMemory(8).AddDimm(0, 32, 2));
        Assert.False(h.Agent.ModelReady.IsCompleted);

        await h.StartAsync();
        await h.Agent.ModelReady.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.NotNull(h.Agent.View.Snapshot.FindDimmBySlot(0));
    }

    [Fact]
    public async Task WhileRunningTheAgentTellsUdevWhichWordToOnlineWith()
    {
        var marker = "";
        await using (var h = new AgentHarness(t => t.AddBootMemory(8)))
        {
            marker = Path.Combine(h.RuntimeDirectory, MemoryAgent.OnliningMarkerFileName);
            await h.StartAsync();
            Assert.Equal("online_movable", File.ReadAllText(marker));

            h.Agent.SetPolicy(new OnlinePolicy(OnlinePolicyKind.Kernel));
            Assert.Equal("online_kernel", File.ReadAllText(marker));

            h.Agent.SetPolicy(new OnlinePolicy(OnlinePolicyKind.None));
            Assert.False(File.Exists(marker));
            h.Agent.SetPolicy(OnlinePolicy.Default);
        }

        Assert.False(File.Exists(marker)); // removed when the agent stops
    }

    [Fact]
    public async Task WithPolicyMovableTheKernelOnlinesNewMemoryItselfWhileTheAgentRuns()
    {
        await using var h = new AgentHarness(t => t.AddBootMemory(8));
        var path = Path.Combine(h.Tree.RootPath, "devices", "system", "memory", "auto_online_blocks");
        Assert.Equal("offline", File.ReadAllText(path).Trim());

        await h.StartAsync();
        var running = File.ReadAllText(path);
        h.Agent.SetPolicy(new OnlinePolicy(OnlinePolicyKind.AutoMovable));
        var autoMovable = File.ReadAllText(path);
        h.Agent.SetPolicy(OnlinePolicy.Default);
        var movableAgain = File.ReadAllText(path);
        await h.StopAsync();

        Assert.Equal("online_movable", running);
        Assert.Equal("offline", autoMovable); // the kernel cannot apply a ratio per DIMM: the agent decides
        Assert.Equal("online_movable", movableAgain);
        Assert.Equal("offline", File.ReadAllText(path)); // given back when the agent stops
    }

    [Fact]
    public async Task AnAgentRestartedAfterACrashStillGivesAutoOnlineItsValueBack()
    {
        await using var h = new AgentHarness(t => t.AddBootMemory(8));
        var path = Path.Combine(h.Tree.RootPath, "devices", "system", "memory", "auto_online_blocks");
        var before = Path.Combine(h.RuntimeDirectory, KernelOnliningSettings.AutoOnlineBeforeFileName);
        // What a first agent that set it and was then killed (kill -9, the OOM killer) leaves behind.
        File.WriteAllText(path, "online_movable\n");
        File.WriteAllText(before, "offline\n");

        await h.StartAsync();
        var running = File.ReadAllText(path).Trim();
        await h.StopAsync();

        Assert.Equal("online_movable", running);
        Assert.Equal("offline", File.ReadAllText(path).Trim());
        Assert.False(File.Exists(before));
        Assert.DoesNotContain("online_movable", h.Writer.AutoOnlineWrites); // it was set already
    }

    [Fact]
    public async Task TheValueToGiveBackIsKeptInTheRuntimeDirectoryWhileTheAgentHasItSet()
    {
        await using var h = new AgentHarness(t => t.AddBootMemory(8));
        var before = Path.Combine(h.RuntimeDirectory, KernelOnliningSettings.AutoOnlineBeforeFileName);

        await h.StartAsync();
        var kept = File.ReadAllText(before).Trim();
        await h.StopAsync();

        Assert.Equal("offline", kept);
        Assert.False(File.Exists(before));
    }

    [Fact]
    public async Task AKernelThatRefusesAutoOnlineLeavesTheOnliningToTheAgent()
    {
        await using var h = new AgentHarness(t => t.AddBootMemory(8).AddDimm(0, 32, 2));
        var path = Path.Combine(h.Tree.RootPath, "devices", "system", "memory", "auto_online_blocks");
        File.Delete(path);
        Directory.CreateDirectory(path); // neither readable nor writable as a value

        await h.StartAsync();
        await h.WaitForZoneAsync(32, "Movable");

        Assert.Single(h.Logger.Inner.Lines, m => m.Contains("auto_online_blocks cannot be set", StringComparison.Ordinal));
    }

    /// <summary>
    /// Issue 24: events come in the order of the views they describe, also when a handler changes the agent while
    /// events are delivered (before, the policy's event came between the reconcile's own).
    /// </summary>
    [Fact]
    public async Task EventsRaisedWhileEventsAreDeliveredComeAfterThem()
    {
        await using var h = new AgentHarness(t => t.AddBootMemory(8).AddDimm(0, 32, 2));
        var once = 0;
        h.Agent.Changed += e =>
        {
            if (e.Kind == AgentEventKind.BlockOnlined && Interlocked.Exchange(ref once, 1) == 0)
            {
                h.Agent.SetPolicy(new OnlinePolicy(OnlinePolicyKind.AutoMovable));
            }
        };

        await h.StartAsync();
        await h.WhenAsync(() => h.Events.Any(e => e.Kind == AgentEventKind.PolicyChanged), "the policy's event");

        var kinds = h.Events.Select(e => e.Kind).ToList();
        var policy = kinds.IndexOf(AgentEventKind.PolicyChanged);
        Assert.True(kinds.FindLastIndex(k => k == AgentEventKind.BlockOnlined) < policy, "events: " + string.Join(", ", kinds));
        Assert.True(kinds.FindIndex(k => k == AgentEventKind.DimmReadinessChanged) < policy, "events: " + string.Join(", ", kinds));
    }

    [Fact]
    public async Task PolicyNoneOnlyObserves()
    {
        await using var h = new AgentHarness(t => t.AddBootMemory(8).AddDimm(0, 32, 2), policy: "none");
        await h.StartAsync();
        await h.Agent.ReconcileAsync("again", TestContext.Current.CancellationToken);

        Assert.Empty(h.Writer.Writes);
        Assert.Equal(ReadinessState.Ready, h.Agent.View.Readiness["slot0"].State);
    }

    [Fact]
    public async Task BlocksNotYetLinkedToTheirAcpiDimmWaitForTheLink()
    {
        // The kernel sends "add" for each block before it links the blocks to their PNP0C80 device.
        await using var h = new AgentHarness(t => t.AddBootMemory(8).AddAcpiDevice(0, 0));
        await h.StartAsync();

        h.Tree.AddBlock(32, "offline", "Normal Movable");
        h.Uevents.SendMemory("add", 32);
        await h.WhenAsync(() => h.Agent.View.Snapshot.FindBlock(32) is { State: Model.BlockState.Offline }, "the reconcile that saw memory32 (it publishes after onlining)");
        Assert.Equal("offline", h.Tree.ReadState(32));
        Assert.DoesNotContain(h.Writer.Writes, w => w.Block == 32);

        h.Tree.AddAcpiDevice(1, 15, 32);
        await h.WaitForZoneAsync(32, "Movable");
    }

    [Fact]
    public async Task DimmsPresentAtTheFirstStartAreRecordedAsPresentAtBoot()
    {
        await using var h = new AgentHarness(t => t.AddBootMemory(8).AddDimm(0, 32, 1));
        await h.StartAsync();

        h.Tree.AddDimm(1, 33, 1);
        h.Uevents.SendMemory("add", 33);
        await h.WaitForZoneAsync(33, "Movable");

        var snapshot = h.Agent.View.Snapshot;
        Assert.True(snapshot.FindDimmBySlot(0)!.PresentAtBoot);
        Assert.False(snapshot.FindDimmBySlot(1)!.PresentAtBoot);
        Assert.Equal("0", File.ReadAllText(Path.Combine(h.RuntimeDirectory, BootInventory.FileName)).Trim());
    }

    [Fact]
    public async Task AStormOfAddEventsLosesNoBlock()
    {
        await using var h = new AgentHarness(t => t.AddBootMemory(8));
        await h.StartAsync();

        for (var slot = 0; slot < 64; slot++)
        {
            h.Tree.AddDimm(slot, 32 + (slot * 8), 8);
        }

        for (var id = 32; id < 32 + 512; id++)
        {
            h.Uevents.SendMemory("add", id);
        }

        await h.WhenAsync(() => h.Agent.View.Snapshot.Blocks.Count(b => b.IsOnlineMovable) == 512, "all 512 blocks movable");
        Assert.Equal(512, h.Writer.Writes.Count);
    }
}
