using System.Diagnostics;
using GuestAgent.Memory.Sysfs;
using GuestAgent.Memory.Writing;
using GuestAgent.TestSupport;
using Mono.Unix.Native;

namespace GuestAgent.Memory.Tests.Writing;

/// <summary>
/// The real writer against real files: the in-process path (Mono.Posix open/write, errno unchanged) and the child-process
/// path used for offlining with a time limit (dd, killed at the limit). The kernel's own answers are covered by the
/// end-to-end tests in a VM.
/// </summary>
public class SysfsBlockStateWriterTests
{
    [Fact]
    public async Task WritesTheWordInProcess()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBlock(32, "offline", "Normal Movable");

        var result = await new SysfsBlockStateWriter(tree.Root).WriteAsync(32, BlockStateRequest.OnlineMovable, Timeout.InfiniteTimeSpan, TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded);
        Assert.Equal("online_movable", File.ReadAllText(tree.Root.BlockAttribute(32, "state")));
    }

    [Fact]
    public async Task AMissingBlockIsEnoent()
    {
        using var tree = new FakeSysfsTree();

        var result = await new SysfsBlockStateWriter(tree.Root).WriteAsync(99, BlockStateRequest.Online, Timeout.InfiniteTimeSpan, TestContext.Current.CancellationToken);

        Assert.False(result.Succeeded);
        Assert.Equal(Errno.ENOENT, result.Errno);
        Assert.Contains("memory99", result.Message);
    }

    [Fact]
    public async Task OfflineWithATimeLimitIsWrittenByAChildProcess()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBlock(32, "online", "Movable");

        var result = await new SysfsBlockStateWriter(tree.Root).WriteAsync(32, BlockStateRequest.Offline, TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal("offline", tree.ReadState(32));
    }

    [Fact]
    public async Task TheChildsErrnoComesBackFromItsMessage()
    {
        using var tree = new FakeSysfsTree();
        Directory.CreateDirectory(tree.Root.BlockAttribute(40, "state")); // a directory where the attribute should be

        var result = await new SysfsBlockStateWriter(tree.Root).WriteAsync(40, BlockStateRequest.Offline, TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.False(result.Succeeded);
        Assert.Equal(Errno.EISDIR, result.Errno);
    }

    [Fact]
    public async Task AWriteThatHangsIsKilledAtTheTimeLimit()
    {
        using var tree = new FakeSysfsTree();
        Directory.CreateDirectory(tree.Root.BlockDirectory(41));
        Assert.Equal(0, Syscall.mkfifo(tree.Root.BlockAttribute(41, "state"), FilePermissions.S_IRUSR | FilePermissions.S_IWUSR)); // opening it blocks: no reader

        var watch = Stopwatch.StartNew();
        var result = await new SysfsBlockStateWriter(tree.Root).WriteAsync(41, BlockStateRequest.Offline, TimeSpan.FromMilliseconds(500), TestContext.Current.CancellationToken);

        Assert.False(result.Succeeded);
        Assert.True(result.TimedOut);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task AMissingDdIsAClearError()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBlock(32, "online", "Movable");

        var result = await new SysfsBlockStateWriter(tree.Root, "/nonexistent/dd").WriteAsync(32, BlockStateRequest.Offline, TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);

        Assert.False(result.Succeeded);
        Assert.Contains("cannot start /nonexistent/dd", result.Message);
    }

    [Theory]
    [InlineData("dd: error writing '/sys/devices/system/memory/memory33/state': Device or resource busy", Errno.EBUSY)]
    [InlineData("dd: error writing 'x': Invalid argument\n", Errno.EINVAL)]
    [InlineData("dd: failed to open 'x': Permission denied", Errno.EACCES)]
    [InlineData("dd: error writing 'x': Operation not permitted", Errno.EPERM)]
    public void ErrnoTextsMapBack(string message, Errno expected) => Assert.Equal(expected, ErrnoText.FromMessage(message));

    [Fact]
    public void UnknownTextsMapToNothing() => Assert.Null(ErrnoText.FromMessage("something else"));

    [Fact]
    public void WordsAreTheKernels()
    {
        Assert.Equal("online_movable", BlockStateWords.Format(BlockStateRequest.OnlineMovable));
        Assert.Equal("online_kernel", BlockStateWords.Format(BlockStateRequest.OnlineKernel));
        Assert.Equal("online", BlockStateWords.Format(BlockStateRequest.Online));
        Assert.Equal("offline", BlockStateWords.Format(BlockStateRequest.Offline));
        _ = SysfsRoot.Default;
    }
}
