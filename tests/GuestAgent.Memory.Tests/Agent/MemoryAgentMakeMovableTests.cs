using GuestAgent.Memory.Agent;
using GuestAgent.Memory.Operations;
using GuestAgent.Memory.Readiness;
using GuestAgent.Memory.Writing;
using GuestAgent.TestSupport;

namespace GuestAgent.Memory.Tests.Agent;

/// <summary>
/// A DIMM found online in a kernel zone when the agent starts (6.12's own onlining, a rule, an administrator): the
/// reason says so, and <c>make-movable</c> moves it into Movable, or leaves it exactly where it was.
/// </summary>
public class MemoryAgentMakeMovableTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static void KernelOnlinedIt(FakeSysfsTree t)
    {
        t.AddBootMemory(8).AddDimm(0, 32, 2, "online", "Normal");
        File.WriteAllText(Path.Combine(t.Root.MemoryDirectory, "auto_online_blocks"), "online\n");
    }

    [Fact]
    public async Task ADimmTheKernelOnlinedIntoNormalBeforeTheAgentStartedIsNotReadyAndSaysWhoAndWhatToDo()
    {
        await using var h = new AgentHarness(KernelOnlinedIt);
        await h.StartAsync();

        var readiness = h.Agent.View.Readiness["slot0"];

        Assert.Equal((ReadinessState.NotReady, ReadinessBlocker.KernelZone), (readiness.State, readiness.Blocker));
        Assert.Equal(
            "memory32 is in zone Normal (onlined there before the agent started, most likely by the kernel itself: auto_online_blocks was online "
            + "(the default of kernels built with MHP_DEFAULT_ONLINE_TYPE_ONLINE_AUTO, such as Debian's and RHEL 10's 6.12); "
            + "make-movable moves it into Movable if what it holds can move)",
            readiness.Reason);
        Assert.Equal("online", h.Tree.ReadState(32)); // the agent does not move it on its own
        Assert.Equal("Normal", h.Tree.ReadZones(32));
    }

    [Fact]
    public async Task WithAutoOnlineOfflineTheReasonNamesTheOtherCulprits()
    {
        await using var h = new AgentHarness(t => t.AddBootMemory(8).AddDimm(0, 32, 2, "online", "Normal"));
        await h.StartAsync();

        Assert.Contains(
            "(onlined there before the agent started: at boot, by a udev rule or by an administrator; make-movable moves it",
            h.Agent.View.Readiness["slot0"].Reason,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task MakeMovableOfflinesEveryBlockThenOnlinesItMovableAndTheDimmIsReady()
    {
        await using var h = new AgentHarness(KernelOnlinedIt);
        await h.StartAsync();

        var result = await h.Agent.MakeMovableAsync(DimmSelector.ForSlot(0), Ct);

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(DimmOperationResult.MakeMovable, result.Operation);
        Assert.Equal("every block is online in Movable", result.Message);
        Assert.Equal(["offline", "offline", "online_movable", "online_movable"], h.Writer.Writes.Where(w => w.Block is 32 or 33).Select(w => w.Word));
        Assert.Equal(("online", "Movable"), (h.Tree.ReadState(32), h.Tree.ReadZones(32)));
        Assert.Equal(("online", "Movable"), (h.Tree.ReadState(33), h.Tree.ReadZones(33)));
        Assert.Equal(ReadinessState.Ready, h.Agent.View.Readiness["slot0"].State);
        Assert.Contains(h.Events, e => e.Kind == AgentEventKind.MakeMovableFinished && e.Operation!.Succeeded);
        Assert.Empty(Directory.GetFiles(Path.Combine(h.RuntimeDirectory, UnplugJournal.DirectoryName)));
    }

    [Fact]
    public async Task ABlockThatCannotBeOfflinedLeavesTheDimmWhereItWas()
    {
        await using var h = new AgentHarness(KernelOnlinedIt);
        await h.StartAsync();
        h.Writer.FailWith(33, BlockStateRequest.Offline, Errno.EBUSY); // unmovable pages

        var result = await h.Agent.MakeMovableAsync(DimmSelector.ForSlot(0), Ct);

        Assert.False(result.Succeeded);
        Assert.True(result.RolledBack);
        Assert.StartsWith("memory33 could not be offlined: ", result.Message, StringComparison.Ordinal);
        Assert.EndsWith("; it stays where it was", result.Message, StringComparison.Ordinal);
        Assert.Equal(("online", "Normal"), (h.Tree.ReadState(32), h.Tree.ReadZones(32)));
        Assert.Equal(("online", "Normal"), (h.Tree.ReadState(33), h.Tree.ReadZones(33)));
        Assert.Equal(ReadinessState.NotReady, h.Agent.View.Readiness["slot0"].State);
    }

    [Fact]
    public async Task MovableRefusedOnlinesItIntoTheKernelZoneAgainNeverLeavingItOffline()
    {
        await using var h = new AgentHarness(KernelOnlinedIt);
        await h.StartAsync();
        h.Writer.FailWith(32, BlockStateRequest.OnlineMovable, Errno.EINVAL);

        var result = await h.Agent.MakeMovableAsync(DimmSelector.ForSlot(0), Ct);

        Assert.False(result.Succeeded);
        Assert.StartsWith("Movable was refused (memory32: ", result.Message, StringComparison.Ordinal);
        Assert.EndsWith("; onlined into the kernel zone again", result.Message, StringComparison.Ordinal);
        Assert.Equal("online", h.Tree.ReadState(32));
        Assert.Equal("online", h.Tree.ReadState(33));
    }

    [Fact]
    public async Task WhatDoesNotFitIsRefusedBeforeAnyWriteUnlessForced()
    {
        await using var h = new AgentHarness(KernelOnlinedIt);
        h.Proc.SetMemory(2L << 30, 300L << 20);
        await h.StartAsync();

        var refused = await Assert.ThrowsAsync<MemoryOperationException>(() => h.Agent.MakeMovableAsync(DimmSelector.ForSlot(0), Ct));
        Assert.DoesNotContain(h.Writer.Writes, w => w.Word == "offline");
        var forced = await h.Agent.MakeMovableAsync(DimmSelector.ForSlot(0), Ct, force: true);

        Assert.Equal(MemoryOperationError.InsufficientMemory, refused.Error);
        Assert.True(forced.Succeeded, forced.Message);
    }

    [Fact]
    public async Task AMovableDimmIsLeftAloneAndBootMemoryIsRefused()
    {
        await using var h = new AgentHarness(t => t.AddBootMemory(8).AddDimm(0, 32, 2, "online", "Movable"));
        await h.StartAsync();

        var already = await h.Agent.MakeMovableAsync(DimmSelector.ForSlot(0), Ct);
        var boot = await Assert.ThrowsAsync<MemoryOperationException>(() => h.Agent.MakeMovableAsync(DimmSelector.ForId("boot@0x0"), Ct));

        Assert.True(already.Succeeded);
        Assert.Equal("every block is already online in Movable", already.Message);
        Assert.DoesNotContain(h.Writer.Writes, w => w.Block is 32 or 33);
        Assert.Equal(MemoryOperationError.NotRemovable, boot.Error);
    }

    [Fact]
    public async Task AnAgentThatDiedWhileMovingADimmIsFollowedByOneThatOnlinesItWhereItWasAndSaysSo()
    {
        await using var h = new AgentHarness(t => t.AddBootMemory(8).AddDimm(0, 32, 2, "offline", "Normal Movable"), policy: "none");
        new UnplugJournal(h.RuntimeDirectory, new RecordingLogger()).Write(
            new UnplugJournalEntry("slot0", false, DateTimeOffset.UtcNow, new Dictionary<int, string> { [32] = "Normal", [33] = "Normal" })
            {
                Purpose = UnplugJournalEntry.ForMakeMovable,
            });

        await h.StartAsync();

        Assert.Equal(("online", "Normal"), (h.Tree.ReadState(32), h.Tree.ReadZones(32)));
        Assert.Equal(("online", "Normal"), (h.Tree.ReadState(33), h.Tree.ReadZones(33)));
        var recovery = Assert.Single(h.Agent.View.Recoveries);
        Assert.StartsWith("slot0 was being moved into Movable (since ", recovery.Message, StringComparison.Ordinal);
        Assert.EndsWith("its 2 offline block(s) were onlined again", recovery.Message, StringComparison.Ordinal);
        Assert.Equal(UnplugJournalEntry.ForUnplug, UnplugJournal.Parse(["dimm slot1", "prepared 1"])!.Purpose); // an older agent's record
    }
}
