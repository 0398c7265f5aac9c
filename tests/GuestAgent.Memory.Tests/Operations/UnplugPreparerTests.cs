using GuestAgent.Memory.Operations;
using GuestAgent.Memory.Sysfs;
using GuestAgent.Memory.Writing;
using GuestAgent.TestSupport;

namespace GuestAgent.Memory.Tests.Operations;

public class UnplugPreparerTests
{
    private readonly FakeSysfsTree _tree = new();
    private readonly FakeKernelBlockStateWriter _writer;
    private readonly UnplugPreparer _preparer;

    public UnplugPreparerTests()
    {
        _tree.AddBootMemory(8).AddDimm(0, 32, 3, "online", "Movable");
        _writer = new FakeKernelBlockStateWriter(_tree);
        _preparer = new UnplugPreparer(_writer, new RecordingLogger());
    }

    private Task<DimmOperationResult> OfflineAsync(TimeSpan? limit = null, CancellationToken? cancellation = null)
    {
        var cancellationToken = cancellation ?? TestContext.Current.CancellationToken;
        var snapshot = new SysfsMemoryReader(_tree.Root).Read();
        return _preparer.OfflineAsync(snapshot, snapshot.FindDimmBySlot(0)!, limit ?? Timeout.InfiniteTimeSpan, cancellationToken);
    }

    [Fact]
    public async Task OfflinesEveryBlockLowestFirst()
    {
        var result = await OfflineAsync();

        Assert.True(result.Succeeded);
        Assert.Equal([32, 33, 34], _writer.Writes.Select(w => w.Block));
        Assert.All([32, 33, 34], id => Assert.Equal("offline", _tree.ReadState(id)));
    }

    [Fact]
    public async Task OnFailureTheBlocksAlreadyOfflinedAreOnlinedAgainIntoTheirZone()
    {
        _writer.FailWith(34, BlockStateRequest.Offline, Errno.EBUSY);

        var result = await OfflineAsync();

        Assert.False(result.Succeeded);
        Assert.True(result.RolledBack);
        Assert.Contains("memory34 could not be offlined", result.Message);
        Assert.Contains("EBUSY", result.Message);
        Assert.Equal(
            [(32, "offline", true), (33, "offline", true), (34, "offline", false), (33, "online_movable", true), (32, "online_movable", true)],
            _writer.Writes);
        Assert.All([32, 33, 34], id => Assert.Equal("Movable", _tree.ReadZones(id)));
    }

    [Fact]
    public async Task AFailedRollbackIsSaidLoudly()
    {
        _writer.FailWith(33, BlockStateRequest.Offline, Errno.EBUSY);
        _writer.FailWith(32, BlockStateRequest.OnlineMovable, Errno.ENOMEM);

        var result = await OfflineAsync();

        Assert.False(result.RolledBack);
        Assert.Contains("ROLLBACK INCOMPLETE", result.Message);
    }

    [Fact]
    public async Task TheTimeLimitStopsASlowOfflineAndRollsBack()
    {
        _writer.DelayBy(33, BlockStateRequest.Offline, TimeSpan.FromMinutes(5));

        var result = await OfflineAsync(TimeSpan.FromMilliseconds(300));

        Assert.False(result.Succeeded);
        Assert.Contains(result.Blocks, b => b.BlockId == 33 && b.TimedOut);
        Assert.Equal("Movable", _tree.ReadZones(32));
        Assert.Equal("online", _tree.ReadState(33));
    }

    [Fact]
    public async Task CancellingStopsAndRollsBack()
    {
        _writer.DelayBy(33, BlockStateRequest.Offline, TimeSpan.FromMinutes(5));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        var result = await OfflineAsync(cancellation: cancel.Token);

        Assert.False(result.Succeeded);
        Assert.True(result.RolledBack);
        Assert.Equal("online", _tree.ReadState(32));
    }

    [Fact]
    public async Task OnlineAgainOnlinesOfflineBlocksHighestFirst()
    {
        await OfflineAsync();
        var snapshot = new SysfsMemoryReader(_tree.Root).Read();

        var result = await _preparer.OnlineAgainAsync(snapshot, snapshot.FindDimmBySlot(0)!, BlockStateRequest.OnlineMovable, TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded);
        Assert.Equal([34, 33, 32], _writer.Writes.Skip(3).Select(w => w.Block));
        Assert.All([32, 33, 34], id => Assert.Equal("Movable", _tree.ReadZones(id)));
    }
}
