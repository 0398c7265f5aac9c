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
        AddBlockWhoseWriteHangs(tree, 41);

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

        var output = new StringWriter();

        var code = GuestAgent.Cli.WriteStateCommand.Run([tree.Root.BlockAttribute(32, "state"), "offline"], proc.Root, output);

        Assert.Equal(0, code);
        Assert.Equal("0" + Environment.NewLine, output.ToString());
        Assert.Equal("1000", proc.OomScoreAdjust);
        Assert.Equal("offline", File.ReadAllText(tree.Root.BlockAttribute(32, "state")));
    }

    [Fact]
    public void TheChildRefusesWhatIsNotAStateWrite()
    {
        using var proc = new FakeProcTree();

        Assert.Equal(StateWriterCommand.UsageExitCode, GuestAgent.Cli.WriteStateCommand.Run(["/etc/passwd", "offline"], proc.Root, TextWriter.Null));
        Assert.Equal(StateWriterCommand.UsageExitCode, GuestAgent.Cli.WriteStateCommand.Run(["/sys/devices/system/memory/memory1/state", "reboot"], proc.Root, TextWriter.Null));
        Assert.Equal(StateWriterCommand.UsageExitCode, GuestAgent.Cli.WriteStateCommand.Run(["/sys/devices/system/memory/memory1/state", "/etc/passwd", "offline"], proc.Root, TextWriter.Null));
        Assert.Equal(StateWriterCommand.UsageExitCode, GuestAgent.Cli.WriteStateCommand.Run(["offline"], proc.Root, TextWriter.Null));
    }

    [Fact]
    public void TheChildWritesInTurnSayingEachOutcomeAndStopsAtTheFirstFailure()
    {
        using var tree = new FakeSysfsTree();
        using var proc = new FakeProcTree();
        tree.AddBlock(32, "online", "Movable");
        Directory.CreateDirectory(tree.Root.BlockAttribute(33, "state")); // EISDIR
        tree.AddBlock(34, "online", "Movable");
        var output = new StringWriter();

        var code = GuestAgent.Cli.WriteStateCommand.Run(
            [tree.Root.BlockAttribute(32, "state"), tree.Root.BlockAttribute(33, "state"), tree.Root.BlockAttribute(34, "state"), "offline"], proc.Root, output);

        Assert.Equal((int)Errno.EISDIR, code);
        Assert.Equal(["0", ((int)Errno.EISDIR).ToString(System.Globalization.CultureInfo.InvariantCulture)], output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("offline", tree.ReadState(32));
        Assert.Equal("online", tree.ReadState(34));
    }

    [Fact]
    public async Task ADimmsBlocksAreOfflinedByOneChildInTurn()
    {
        using var tree = new FakeSysfsTree();
        foreach (var id in new[] { 32, 33, 34 })
        {
            tree.AddBlock(id, "online", "Movable");
        }

        var told = new List<int>();
        var results = await TestStateWriter.For(tree.Root).OfflineInTurnAsync([32, 33, 34], TimeSpan.FromSeconds(30), told.Add, TestContext.Current.CancellationToken);

        Assert.All(results, r => Assert.True(r.Succeeded, r.Message));
        Assert.Equal(3, results.Count);
        Assert.Equal([32, 33, 34], told);
        Assert.All(new[] { 32, 33, 34 }, id => Assert.Equal("offline", tree.ReadState(id)));
    }

    [Fact]
    public async Task TheChildStopsAtTheFirstFailureWithItsErrno()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBlock(32, "online", "Movable");
        Directory.CreateDirectory(tree.Root.BlockAttribute(33, "state"));
        tree.AddBlock(34, "online", "Movable");

        var results = await TestStateWriter.For(tree.Root).OfflineInTurnAsync([32, 33, 34], TimeSpan.FromSeconds(30), null, TestContext.Current.CancellationToken);

        Assert.Equal(2, results.Count);
        Assert.True(results[0].Succeeded);
        Assert.Equal(Errno.EISDIR, results[1].Errno);
        Assert.Contains("memory33", results[1].Message);
        Assert.Equal("online", tree.ReadState(34));
    }

    [Fact]
    public async Task AStopKillsTheChildAndFailsTheBlockInProgressWithEintr()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBlock(32, "online", "Movable");
        AddBlockWhoseWriteHangs(tree, 33);
        tree.AddBlock(34, "online", "Movable");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var offlined = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);

        var running = TestStateWriter.For(tree.Root).OfflineInTurnAsync([32, 33, 34], Timeout.InfiniteTimeSpan, id => offlined.TrySetResult(id), stop.Token);
        Assert.Equal(32, await offlined.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken));
        await stop.CancelAsync();
        var results = await running.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        Assert.Equal(2, results.Count);
        Assert.True(results[0].Succeeded);
        Assert.Equal(Errno.EINTR, results[1].Errno);
        Assert.False(results[1].TimedOut);
        Assert.Equal("online", tree.ReadState(34));
    }

    /// <summary>The OOM killer ends the writer (its first choice) with SIGKILL: the block in progress fails, saying so.</summary>
    [Fact]
    public async Task AWriterTheOomKillerTakesIsReportedAsSuch()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBlock(32, "online", "Movable");
        var fifo = AddBlockWhoseWriteHangs(tree, 33);

        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var running = TestStateWriter.For(tree.Root).OfflineInTurnAsync([32, 33], TimeSpan.FromMinutes(5), _ => first.TrySetResult(), TestContext.Current.CancellationToken);
        var writer = await WriterOfAsync(fifo);
        await first.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken); // now blocked on memory33
        Assert.Equal(0, Syscall.kill(writer, Signum.SIGKILL)); // what the OOM killer sends
        var results = await running.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        Assert.Equal(2, results.Count);
        Assert.True(results[0].Succeeded);
        Assert.False(results[1].TimedOut);
        Assert.Contains("killed by signal 9", results[1].Message);
        Assert.Contains("OOM killer", results[1].Message);
    }

    /// <summary>A block whose <c>state</c> is a FIFO with no reader: opening it to write blocks, as a long migration does.</summary>
    private static string AddBlockWhoseWriteHangs(FakeSysfsTree tree, int id)
    {
        Directory.CreateDirectory(tree.Root.BlockDirectory(id));
        var state = tree.Root.BlockAttribute(id, "state");
        Assert.Equal(0, Syscall.mkfifo(state, FilePermissions.S_IRUSR | FilePermissions.S_IWUSR));
        return state;
    }

    /// <summary>The process whose command line names <paramref name="path"/> (the writer's child), once it runs.</summary>
    private static async Task<int> WriterOfAsync(string path)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(60))
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (int.TryParse(Path.GetFileName(dir), out var pid) && pid != Environment.ProcessId)
                {
                    try
                    {
                        if (File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0').Contains(path))
                        {
                            return pid;
                        }
                    }
                    catch (IOException)
                    {
                        // gone meanwhile
                    }
                }
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        throw new TimeoutException($"no writer process for {path}");
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
