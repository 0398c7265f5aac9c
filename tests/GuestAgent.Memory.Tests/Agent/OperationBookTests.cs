using GuestAgent.Memory.Agent;
using GuestAgent.Memory.Model;
using GuestAgent.Memory.Operations;
using GuestAgent.Memory.Sysfs;
using GuestAgent.TestSupport;

namespace GuestAgent.Memory.Tests.Agent;

public class OperationBookTests
{
    private static MemorySnapshot Snapshot(Action<FakeSysfsTree> build)
    {
        using var tree = new FakeSysfsTree();
        build(tree);
        return new SysfsMemoryReader(tree.Root).Read();
    }

    [Fact]
    public void ABusyDimmIsHeldAndRefusesASecondOperation()
    {
        var snapshot = Snapshot(t => t.AddBootMemory(8).AddDimm(0, 32, 2, "online", "Movable"));
        var dimm = snapshot.FindDimmBySlot(0)!;
        var book = new OperationBook();
        using var cancellation = new CancellationTokenSource();

        book.Begin(dimm, new BusyOperation(BusyOperation.Preparing, cancellation));

        Assert.Equal(BusyOperation.Preparing, book.BusyReason("slot0"));
        Assert.False(book.IsEligible(snapshot.FindBlock(32)!));
        var again = Assert.Throws<MemoryOperationException>(() => book.Begin(dimm, new BusyOperation(BusyOperation.Reonlining, cancellation)));
        Assert.Equal(MemoryOperationError.Busy, again.Error);
    }

    [Fact]
    public void EndingHoldsTheBlocksOfflineOnlyWhenAsked()
    {
        var snapshot = Snapshot(t => t.AddBootMemory(8).AddDimm(0, 32, 2, "online", "Movable"));
        var dimm = snapshot.FindDimmBySlot(0)!;
        var book = new OperationBook();
        using var cancellation = new CancellationTokenSource();

        book.Begin(dimm, new BusyOperation(BusyOperation.Preparing, cancellation));
        book.End(dimm, [new BlockOutcome(32, "offline", true, "offlined")], holdOffline: true);
        var held = book.IsEligible(snapshot.FindBlock(32)!);
        book.Begin(dimm, new BusyOperation(BusyOperation.Reonlining, cancellation));
        book.End(dimm, [], holdOffline: false);

        Assert.False(held);
        Assert.True(book.IsEligible(snapshot.FindBlock(32)!));
        Assert.Null(book.BusyReason("slot0"));
        Assert.Equal("offlined", book.LastOutcomes()[32].Message);
    }

    [Fact]
    public void BlocksOfflinedByOthersAreLeftAloneUntilTheyComeBackAndGoneThingsAreForgotten()
    {
        var before = Snapshot(t => t.AddBootMemory(8).AddDimm(0, 32, 2, "online", "Movable"));
        var after = Snapshot(t => t.AddBootMemory(8).AddDimm(0, 32, 2, "online", "Movable").SetBlock(33, "offline", "Normal Movable"));
        var gone = Snapshot(t => t.AddBootMemory(8));
        var book = new OperationBook();
        book.Record([new BlockOutcome(33, "online_movable", false, "EBUSY")]);
        book.RecordOnlined(before.FindDimmBySlot(0)!, "policy movable");

        var left = book.TrackOutsideChanges(before, after);
        var eligible = book.IsEligible(after.FindBlock(33)!);
        book.TrackOutsideChanges(after, before);
        var back = book.IsEligible(after.FindBlock(33)!);
        book.TrackOutsideChanges(before, gone);

        Assert.Equal(["memory33"], left.Select(b => b.Name));
        Assert.False(eligible);
        Assert.True(back);
        Assert.Empty(book.LastOutcomes());
        Assert.Empty(book.OnlinedBy());
    }

    [Fact]
    public void RecoveriesKeepTheNewest()
    {
        var book = new OperationBook();
        for (var i = 0; i < OperationBook.MaxRecoveries + 3; i++)
        {
            book.RecordRecovery(new AgentRecovery($"slot{i}", "onlined again", DateTimeOffset.UnixEpoch));
        }

        Assert.Equal(OperationBook.MaxRecoveries, book.Recoveries().Count);
        Assert.Equal("slot3", book.Recoveries()[0].Dimm);
    }
}
