using GuestAgent.Memory.Model;
using GuestAgent.Memory.Sysfs;
using GuestAgent.Memory.Writing;

namespace GuestAgent.Memory.Tests.Contract;

/// <summary>
/// How a kernel answers writes to <c>memoryN/state</c>, held to one contract: the fake kernel writer on a fake tree
/// (<see cref="FakeWriterContractTests"/>) and the real writer on the guest kernel in the test VM
/// (<see cref="RealKernelWriterTests"/>) must give the same answers. Each test leaves the blocks as it found them.
/// </summary>
public abstract class BlockStateWriterContract : IDisposable
{
    private readonly List<IDisposable> _writers = [];

    /// <summary>
    /// The writer, a reader of the same sysfs, and the top run of consecutive hot-plugged blocks online in Movable (at
    /// least two; the top of the node's Movable zone), lowest first.
    /// </summary>
    protected abstract (IBlockStateWriter Writer, SysfsMemoryReader Reader, IReadOnlyList<int> Movable) Target();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>The target, its writer ended with the test (the real one keeps its next offline's process waiting).</summary>
    private (IBlockStateWriter Writer, SysfsMemoryReader Reader, IReadOnlyList<int> Movable) Open()
    {
        var target = Target();
        if (target.Writer is IDisposable owned)
        {
            _writers.Add(owned);
        }

        return target;
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            _writers.ForEach(w => w.Dispose());
        }
    }

    [Fact]
    public async Task OnliningAnOnlineBlockIsEinval()
    {
        var (writer, _, movable) = Open();

        var result = await writer.WriteAsync(movable[0], BlockStateRequest.OnlineMovable, Timeout.InfiniteTimeSpan, Token);

        Assert.Equal(Errno.EINVAL, result.Errno);
    }

    [Fact]
    public async Task OffliningAnOfflineBlockIsEinval()
    {
        var (writer, reader, movable) = Open();
        var block = movable[^1];

        var first = await writer.WriteAsync(block, BlockStateRequest.Offline, TimeSpan.FromSeconds(60), Token);
        var again = await writer.WriteAsync(block, BlockStateRequest.Offline, TimeSpan.FromSeconds(60), Token);
        var back = await writer.WriteAsync(block, BlockStateRequest.OnlineMovable, Timeout.InfiniteTimeSpan, Token);

        Assert.True(first.Succeeded, first.Message);
        Assert.Equal(Errno.EINVAL, again.Errno);
        Assert.True(back.Succeeded, back.Message);
        Assert.Equal(ZoneNames.Movable, reader.ReadBlock(block)!.Zone);
    }

    /// <summary>A block offlined inside the Movable zone's span defaults to Movable: plain <c>online</c> puts it back there.</summary>
    [Fact]
    public async Task ABlockOfflinedInsideTheMovableSpanDefaultsToMovable()
    {
        var (writer, reader, movable) = Open();
        if (movable.Count < 3)
        {
            Assert.Skip("needs three consecutive Movable blocks here");
        }

        var block = movable[1];

        var offline = await writer.WriteAsync(block, BlockStateRequest.Offline, TimeSpan.FromSeconds(60), Token);
        var zones = reader.ReadBlock(block)!.ValidZones;
        var online = await writer.WriteAsync(block, BlockStateRequest.Online, Timeout.InfiniteTimeSpan, Token);

        Assert.True(offline.Succeeded, offline.Message);
        Assert.Equal([ZoneNames.Movable, ZoneNames.Normal], zones);
        Assert.True(online.Succeeded, online.Message);
        Assert.Equal(ZoneNames.Movable, reader.ReadBlock(block)!.Zone);
    }

    /// <summary>
    /// The top block offlined leaves the Movable span (the kernel shrinks it): it defaults to the kernel zone, and
    /// <c>online_movable</c> still puts it back into Movable (kernels from 4.18 on allow it anywhere).
    /// </summary>
    [Fact]
    public async Task TheTopBlockOfflinedDefaultsToTheKernelZoneAndStillTakesMovable()
    {
        var (writer, reader, movable) = Open();
        var block = movable[^1];

        var offline = await writer.WriteAsync(block, BlockStateRequest.Offline, TimeSpan.FromSeconds(60), Token);
        var zones = reader.ReadBlock(block)!.ValidZones;
        var online = await writer.WriteAsync(block, BlockStateRequest.OnlineMovable, Timeout.InfiniteTimeSpan, Token);

        Assert.True(offline.Succeeded, offline.Message);
        Assert.Equal([ZoneNames.Normal, ZoneNames.Movable], zones);
        Assert.True(online.Succeeded, online.Message);
        Assert.Equal(ZoneNames.Movable, reader.ReadBlock(block)!.Zone);
    }

    /// <summary>A DIMM's offline in one writer: each block in turn, each one told as it goes, stopping at the first failure.</summary>
    [Fact]
    public async Task OffliningInTurnStopsAtTheFirstFailure()
    {
        var (writer, reader, movable) = Open();
        var (lower, top) = (movable[^2], movable[^1]);
        var told = new List<int>();

        var results = await writer.OfflineInTurnAsync([top, lower, top, lower], TimeSpan.FromSeconds(120), told.Add, Token);
        var backLower = await writer.WriteAsync(lower, BlockStateRequest.OnlineMovable, Timeout.InfiniteTimeSpan, Token);
        var backTop = await writer.WriteAsync(top, BlockStateRequest.OnlineMovable, Timeout.InfiniteTimeSpan, Token);

        Assert.Equal(3, results.Count);
        Assert.True(results[0].Succeeded, results[0].Message);
        Assert.True(results[1].Succeeded, results[1].Message);
        Assert.Equal(Errno.EINVAL, results[2].Errno); // already offline
        Assert.Equal([top, lower], told);
        Assert.True(backLower.Succeeded && backTop.Succeeded, backLower.Message + "; " + backTop.Message);
        Assert.Equal(ZoneNames.Movable, reader.ReadBlock(lower)!.Zone);
        Assert.Equal(ZoneNames.Movable, reader.ReadBlock(top)!.Zone);
    }

    [Fact]
    public async Task OffliningABlockThatSpansZonesIsEinval()
    {
        var (writer, reader, _) = Open();
        var spanning = reader.Read().Blocks.FirstOrDefault(b => b.Zone == ZoneNames.None);
        if (spanning is null)
        {
            Assert.Skip("no block spans zones here");
        }

        var result = await writer.WriteAsync(spanning.Id, BlockStateRequest.Offline, TimeSpan.FromSeconds(60), Token);

        Assert.Equal(Errno.EINVAL, result.Errno);
        Assert.Equal(BlockState.Online, reader.ReadBlock(spanning.Id)!.State);
    }
}
