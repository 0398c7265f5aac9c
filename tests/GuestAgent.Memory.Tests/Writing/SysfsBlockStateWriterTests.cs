using System.Diagnostics;
using GuestAgent.Memory.Sysfs;
using Mono.Unix.Native;
using Errno = GuestAgent.Memory.Writing.Errno;
using GuestAgent.Memory.Writing;
using GuestAgent.TestSupport;

namespace GuestAgent.Memory.Tests.Writing;

/// <summary>
/// The real writer against real files: the in-process path (Mono.Posix open/write, errno unchanged) and the child-process
/// path used for offlining with a time limit (the agent's own <c>write-state</c>, killed at the limit, its exit code the
/// errno). The kernel's own answers are covered by the end-to-end tests in a VM.
/// </summary>
public class SysfsBlockStateWriterTests
{
    [Fact]
    public async Task WritesTheWordInProcess()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBlock(32, "offline", "Normal Movable");

        var result = await TestStateWriter.For(tree.Root).WriteAsync(32, BlockStateRequest.OnlineMovable, Timeout.InfiniteTimeSpan, TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded);
        Assert.Equal("online_movable", File.ReadAllText(tree.Root.BlockAttribute(32, "state")));
    }

    [Fact]
    public async Task AMissingBlockIsEnoent()
    {
        using var tree = new FakeSysfsTree();

        var result = await TestStateWriter.For(tree.Root).WriteAsync(99, BlockStateRequest.Online, Timeout.InfiniteTimeSpan, TestContext.Current.CancellationToken);

        Assert.False(result.Succeeded);
        Assert.Equal(Errno.ENOENT, result.Errno);
        Assert.Contains("memory99", result.Message);
    }

    [Fact]
    public async Task OfflineWithATimeLimitIsWrittenByAChildProcess()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBlock(32, "online", "Movable");

        var result = await TestStateWriter.For(tree.Root).WriteAsync(32, BlockStateRequest.Offline, TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal("offline", tree.ReadState(32));
    }

    [Fact]
    public async Task TheChildsErrnoComesBackAsItsExitCode()
    {
        using var tree = new FakeSysfsTree();
        Directory.CreateDirectory(tree.Root.BlockAttribute(40, "state")); // a directory where the attribute should be

        var result = await TestStateWriter.For(tree.Root).WriteAsync(40, BlockStateRequest.Offline, TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

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
        var result = await TestStateWriter.For(tree.Root).WriteAsync(41, BlockStateRequest.Offline, TimeSpan.FromMilliseconds(500), TestContext.Current.CancellationToken);

        Assert.False(result.Succeeded);
        Assert.True(result.TimedOut);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task AMissingWriterIsAClearError()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBlock(32, "online", "Movable");

        var result = await new SysfsBlockStateWriter(tree.Root, new StateWriterCommand("/nonexistent/guest-agent", ["write-state"]))
            .WriteAsync(32, BlockStateRequest.Offline, TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);

        Assert.False(result.Succeeded);
        Assert.Contains("cannot start /nonexistent/guest-agent", result.Message);
    }

    [Fact]
    public void TheChildMakesItselfTheOomKillersFirstChoice()
    {
        using var tree = new FakeSysfsTree();
        using var proc = new FakeProcTree();
        tree.AddBlock(32, "online", "Movable");

        var code = GuestAgent.Cli.WriteStateCommand.Run(tree.Root.BlockAttribute(32, "state"), "offline", proc.Root);

        Assert.Equal(0, code);
        Assert.Equal("1000", proc.OomScoreAdjust);
        Assert.Equal("offline", File.ReadAllText(tree.Root.BlockAttribute(32, "state")));
    }

    [Fact]
    public void TheChildRefusesWhatIsNotAStateWrite()
    {
        using var proc = new FakeProcTree();

        Assert.Equal(StateWriterCommand.UsageExitCode, GuestAgent.Cli.WriteStateCommand.Run("/etc/passwd", "offline", proc.Root));
        Assert.Equal(StateWriterCommand.UsageExitCode, GuestAgent.Cli.WriteStateCommand.Run("/sys/devices/system/memory/memory1/state", "reboot", proc.Root));
    }

    [Fact]
    public void ErrnosHaveTheirNamesAndTexts()
    {
        Assert.Equal("EBUSY (Device or resource busy)", ErrnoNames.Describe(Errno.EBUSY));
        Assert.Equal("EINVAL", ErrnoNames.Name(Errno.EINVAL));
        Assert.Equal("errno 99", ErrnoNames.Name((Errno)99));
    }

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
