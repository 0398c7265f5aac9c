using GuestAgent.Memory.Agent;
using GuestAgent.Memory.Readiness;
using GuestAgent.Memory.Writing;
using GuestAgent.TestSupport;

namespace GuestAgent.Memory.Tests.Agent;

/// <summary>"Ready means safe": the agent's capacity check, its stop under pressure, its OOM protection and its recovery of a DIMM an earlier agent left offline.</summary>
public class MemoryAgentCapacityTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ADimmWhoseContentsDoNotFitIsNotReadyAndItsPrepareIsRefusedBeforeAnyWrite()
    {
        await using var h = new AgentHarness(t => t.AddBootMemory(8).AddDimm(0, 32, 2, "online", "Movable"));
        h.Proc.SetMemory(2L << 30, 300L << 20); // 256 MiB online: 44 MiB would stay, under the 128 MiB reserve
        await h.StartAsync();

        var readiness = h.Agent.View.Readiness["slot0"];
        var refused = await Assert.ThrowsAsync<MemoryOperationException>(() => h.Agent.PrepareUnplugAsync(DimmSelector.ForSlot(0), Ct));

        Assert.Equal((ReadinessState.NotReady, ReadinessBlocker.Capacity), (readiness.State, readiness.Blocker));
        Assert.Equal(MemoryOperationError.InsufficientMemory, refused.Error);
        Assert.Contains("free about 84 MiB in the guest first; a forced prepare skips this check", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(h.Writer.Writes, w => w.Word == "offline");
        Assert.Equal("online", h.Tree.ReadState(32));
    }

    [Fact]
    public async Task FreeingMemoryMakesItReadyOnTheNextLookAndAForcedPrepareGoesAhead()
    {
        await using var h = new AgentHarness(t => t.AddBootMemory(8).AddDimm(0, 32, 2, "online", "Movable").AddDimm(1, 34, 2, "online", "Movable"));
        h.Proc.SetMemory(2L << 30, 300L << 20);
        await h.StartAsync();

        h.Proc.SetMemory(2L << 30, 1L << 30);
        var fresh = h.Agent.RefreshCapacity().Readiness["slot0"];
        h.Proc.SetMemory(2L << 30, 300L << 20);
        var forced = await h.Agent.PrepareUnplugAsync(DimmSelector.ForSlot(1), Ct, force: true);

        Assert.Equal(ReadinessState.Ready, fresh.State);
        Assert.True(forced.Succeeded, forced.Message);
        Assert.Equal("offline", h.Tree.ReadState(34));
    }

    [Fact]
    public async Task MemoryRunningShortDuringTheOfflineStopsItAndRollsBack()
    {
        await using var h = new AgentHarness(t => t.AddBootMemory(8).AddDimm(0, 32, 2, "online", "Movable"));
        await h.StartAsync();
        h.Writer.DelayBy(32, BlockStateRequest.Offline, TimeSpan.FromMinutes(5)); // a migration that takes long

        var prepare = h.Agent.PrepareUnplugAsync(DimmSelector.ForSlot(0), Ct);
        await h.WhenAsync(() => h.Agent.View.Readiness["slot0"].State == ReadinessState.Busy, "busy");
        h.Proc.SetMemory(2L << 30, 200L << 20); // something in the guest takes memory: 256 MiB still online
        var result = await prepare;

        Assert.False(result.Succeeded);
        Assert.True(result.RolledBack);
        Assert.StartsWith("available memory fell to ~200 MiB", result.StopReason, StringComparison.Ordinal);
        Assert.Contains("stopped early: available memory fell", result.Message, StringComparison.Ordinal);
        Assert.Equal("online", h.Tree.ReadState(32));
        Assert.Equal(ReadinessState.NotReady, h.Agent.View.Readiness["slot0"].State);
    }

    [Fact]
    public async Task TheAgentIsUnkillableWhileItOfflinesAndGetsItsScoreBack()
    {
        await using var h = new AgentHarness(t => t.AddBootMemory(8).AddDimm(0, 32, 2, "online", "Movable"));
        File.WriteAllText(h.Proc.Root.SelfOomScoreAdjust, "-900");
        await h.StartAsync();
        h.Writer.DelayBy(33, BlockStateRequest.Offline, TimeSpan.FromMilliseconds(300));

        var prepare = h.Agent.PrepareUnplugAsync(DimmSelector.ForSlot(0), Ct);
        await h.Writer.Begun(33, BlockStateRequest.Offline).WaitAsync(Ct);
        var during = h.Proc.OomScoreAdjust;
        var result = await prepare;

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal("-1000", during);
        Assert.Equal("-900", h.Proc.OomScoreAdjust);
    }

    [Fact]
    public async Task ADimmLeftOfflineByAnAgentThatDiedIsOnlinedAgainAndReported()
    {
        await using var h = new AgentHarness(t => t.AddBootMemory(8).AddDimm(0, 32, 2, "offline", "Normal Movable").AddDimm(1, 34, 2, "online", "Movable"), policy: "none");
        new UnplugJournal(h.RuntimeDirectory, new RecordingLogger()).Write(
            new UnplugJournalEntry("slot0", true, DateTimeOffset.UtcNow, new Dictionary<int, string> { [32] = "Movable", [33] = "Movable" }));

        await h.StartAsync();

        Assert.Equal("Movable", h.Tree.ReadZones(32)); // even under policy none: the agent put it offline, it brings it back
        Assert.Equal("Movable", h.Tree.ReadZones(33));
        var recovery = Assert.Single(h.Agent.View.Recoveries);
        Assert.Equal("slot0", recovery.Dimm);
        Assert.Contains("was held offline for an unplug", recovery.Message, StringComparison.Ordinal);
        Assert.Contains("its 2 offline block(s) were onlined again", recovery.Message, StringComparison.Ordinal);
        Assert.Empty(new UnplugJournal(h.RuntimeDirectory, new RecordingLogger()).Load());
        Assert.Contains(h.Logger.Inner.Warnings, w => w.StartsWith("Recovered: slot0", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AJournaledDimmThatWasUnpluggedIsNotConfusedWithTheOneInItsSlotNow()
    {
        // slot0 was prepared (blocks 32-33) and unplugged; a new DIMM in slot0 has other blocks (online Normal).
        await using var h = new AgentHarness(t => t.AddBootMemory(8).AddDimm(0, 40, 2, "online", "Normal"));
        new UnplugJournal(h.RuntimeDirectory, new RecordingLogger()).Write(
            new UnplugJournalEntry("slot0", true, DateTimeOffset.UtcNow, new Dictionary<int, string> { [32] = "Movable", [33] = "Movable" }));

        await h.StartAsync();

        var recovery = Assert.Single(h.Agent.View.Recoveries);
        Assert.Contains("is gone now: the unplug completed", recovery.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(h.Writer.Writes, w => w.Block is 40 or 41);
        Assert.Empty(new UnplugJournal(h.RuntimeDirectory, new RecordingLogger()).Load());
    }

    [Fact]
    public async Task APreparedDimmThatIsUnpluggedLeavesNoJournalBehind()
    {
        await using var h = new AgentHarness(t => t.AddBootMemory(8).AddDimm(0, 32, 2, "online", "Movable"));
        await h.StartAsync();
        var journal = new UnplugJournal(h.RuntimeDirectory, new RecordingLogger());

        await h.Agent.PrepareUnplugAsync(DimmSelector.ForSlot(0), Ct);
        var held = journal.Load().Count;
        h.Tree.RemoveBlock(32);
        h.Tree.RemoveBlock(33);
        await h.Agent.ReconcileAsync("the DIMM is gone", Ct);

        Assert.Equal(1, held);
        Assert.Empty(journal.Load());
    }

    [Fact]
    public async Task APrepareIsJournaledUntilTheDimmIsOnlineAgain()
    {
        await using var h = new AgentHarness(t => t.AddBootMemory(8).AddDimm(0, 32, 2, "online", "Movable"));
        await h.StartAsync();
        var journal = new UnplugJournal(h.RuntimeDirectory, new RecordingLogger());

        await h.Agent.PrepareUnplugAsync(DimmSelector.ForSlot(0), Ct);
        var held = Assert.Single(journal.Load());
        await h.Agent.CancelUnplugAsync(DimmSelector.ForSlot(0), Ct);

        Assert.True(held.Prepared);
        Assert.Equal("Movable", held.Zones[32]);
        Assert.Empty(journal.Load());
    }

    [Fact]
    public async Task AKernelZoneDimmSaysTheAutoMovableRatioPutItThere()
    {
        await using var h = new AgentHarness(t => t.AddBootMemory(2).AddDimm(0, 32, 8), policy: "auto-movable");
        await h.StartAsync();

        var readiness = h.Agent.View.Readiness["slot0"];

        Assert.Equal(ReadinessState.NotReady, readiness.State);
        Assert.StartsWith("memory32 is in zone Normal (the agent onlined it there: auto-movable: Movable 0 MiB + 1024 MiB would exceed 770 MiB", readiness.Reason, StringComparison.Ordinal);
    }
}
