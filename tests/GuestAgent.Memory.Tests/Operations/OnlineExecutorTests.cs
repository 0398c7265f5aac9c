using GuestAgent.Memory.Model;
using GuestAgent.Memory.Operations;
using GuestAgent.Memory.Policy;
using GuestAgent.Memory.Sysfs;
using GuestAgent.Memory.Writing;
using GuestAgent.TestSupport;

namespace GuestAgent.Memory.Tests.Operations;

public class OnlineExecutorTests
{
    private readonly FakeSysfsTree _tree = new();
    private readonly FakeKernelBlockStateWriter _writer;
    private readonly RecordingLogger _log = new();
    private readonly OnceLog _once;

    public OnlineExecutorTests()
    {
        _tree.AddBootMemory(8).AddDimm(0, 32, 2);
        _writer = new FakeKernelBlockStateWriter(_tree);
        _once = new OnceLog(_log);
    }

    private async Task<IReadOnlyList<BlockOutcome>> OnlineSlot0Async(OnlineZoneChoice zone = OnlineZoneChoice.Movable, bool kernelBefore413 = false)
    {
        var reader = new SysfsMemoryReader(_tree.Root) { OneReadForOnlineBlocks = !kernelBefore413 };
        var snapshot = reader.Read();
        var plan = new DimmOnlinePlan(snapshot.FindDimmBySlot(0)!, zone, [33, 32], "test");
        return await new OnlineExecutor(reader, _writer, _once, _log).ExecuteAsync(plan, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task OnlinesEveryBlockMovableHighestFirst()
    {
        var outcomes = await OnlineSlot0Async();

        Assert.All(outcomes, o => Assert.True(o.Succeeded));
        Assert.Equal([(33, "online_movable", true), (32, "online_movable", true)], _writer.Writes);
        Assert.Equal("Movable", _tree.ReadZones(32));
    }

    [Fact]
    public async Task EinvalOnABlockSomeoneElseOnlinedIsAlreadyOnline()
    {
        _tree.SetBlock(33, "online", "Movable");

        var outcomes = await OnlineSlot0Async();

        Assert.True(outcomes[0].Succeeded);
        Assert.Equal("none", outcomes[0].Action);
        Assert.Contains("already online (zone Movable)", outcomes[0].Message);
    }

    [Fact]
    public async Task EinvalBecauseMovableIsNotAllowedFallsBackToTheKernelZoneForTheWholeDimm()
    {
        // An offline block that names one zone: what a kernel before 4.13 printed where Movable was not allowed.
        _tree.SetBlock(33, "offline", "Normal");

        var outcomes = await OnlineSlot0Async(kernelBefore413: true);

        Assert.Contains("Movable is not allowed here (valid_zones: Normal)", outcomes[0].Message);
        Assert.True(outcomes[0].Succeeded);
        Assert.Equal("online", outcomes[0].Action);
        Assert.Equal("online", outcomes[1].Action); // a DIMM goes wholly to one zone
        Assert.Equal("Normal", _tree.ReadZones(32));
        Assert.Contains(_log.Lines, l => l.Contains("memory33") && l.Contains("Movable is not allowed"));
    }

    [Theory]
    [InlineData(Errno.EBUSY)]
    [InlineData(Errno.EPERM)]
    [InlineData(Errno.ENOMEM)]
    public async Task OtherErrorsAreRecordedWithTheErrnoAndTheRestGoesOn(Errno errno)
    {
        _writer.FailWith(33, BlockStateRequest.OnlineMovable, errno);

        var outcomes = await OnlineSlot0Async();

        Assert.False(outcomes[0].Succeeded);
        Assert.Equal(errno, outcomes[0].Errno);
        Assert.True(outcomes[1].Succeeded);
        Assert.Equal("offline", _tree.ReadState(33));
    }

    [Fact]
    public async Task ABlockRemovedMeanwhileIsSaidSoNotAnError()
    {
        _tree.RemoveBlock(33);

        var outcomes = await OnlineSlot0Async();

        Assert.Equal("removed meanwhile", outcomes[0].Message);
        Assert.True(outcomes[1].Succeeded);
    }

    [Fact]
    public async Task TheSameFailureIsLoggedAtWarningOnlyOnce()
    {
        _writer.FailWith(33, BlockStateRequest.OnlineMovable, Errno.EBUSY);

        await OnlineSlot0Async();
        _tree.SetBlock(32, "offline", "Normal Movable");
        await OnlineSlot0Async();

        Assert.Single(_log.Warnings, l => l.Contains("memory33"));
    }
}
