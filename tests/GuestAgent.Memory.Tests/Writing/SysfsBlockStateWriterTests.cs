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

        using var writer = TestStateWriter.For(tree.Root);
        var result = await writer.WriteAsync(32, BlockStateRequest.OnlineMovable, Timeout.InfiniteTimeSpan, TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded);
        Assert.Equal("online_movable", File.ReadAllText(tree.Root.BlockAttribute(32, "state")));
    }

    [Fact]
    public async Task AMissingBlockIsEnoent()
    {
        using var tree = new FakeSysfsTree();

        using var writer = TestStateWriter.For(tree.Root);
        var result = await writer.WriteAsync(99, BlockStateRequest.Online, Timeout.InfiniteTimeSpan, TestContext.Current.CancellationToken);

        Assert.False(result.Succeeded);
        Assert.Equal(Errno.ENOENT, result.Errno);
        Assert.Contains("memory99", result.Message);
    }

    [Fact]
    public async Task OfflineWithATimeLimitIsWrittenByAChildProcess()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBlock(32, "online", "Movable");

        using var writer = TestStateWriter.For(tree.Root);
        var result = await writer.WriteAsync(32, BlockStateRequest.Offline, TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal("offline", tree.ReadState(32));
    }

    [Fact]
    public async Task TheChildsErrnoComesBackAsItsExitCode()
    {
        using var tree = new FakeSysfsTree();
        Directory.CreateDirectory(tree.Root.BlockAttribute(40, "state")); // a directory where the attribute should be

        using var writer = TestStateWriter.For(tree.Root);
        var result = await writer.WriteAsync(40, BlockStateRequest.Offline, TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.False(result.Succeeded);
        Assert.Equal(Errno.EISDIR, result.Errno);
    }

    [Fact]
    public async Task AWriteThatHangsIsKilledAtTheTimeLimit()
    {
        using var tree = new FakeSysfsTree();
        AddBlockWhoseWriteHangs(tree, 41);

        var watch = Stopwatch.StartNew();
        using var writer = TestStateWriter.For(tree.Root);
        var result = await writer.WriteAsync(41, BlockStateRequest.Offline, TimeSpan.FromMilliseconds(500), TestContext.Current.CancellationToken);

        Assert.False(result.Succeeded);
        Assert.True(result.TimedOut);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task AMissingWriterIsAClearError()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBlock(32, "online", "Movable");

        using var writer = new SysfsBlockStateWriter(tree.Root, new StateWriterCommand("/nonexistent/guest-agent", ["write-state"]));
        var result = await writer.WriteAsync(32, BlockStateRequest.Offline, TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);

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
        using var writer = TestStateWriter.For(tree.Root);
        var results = await writer.OfflineInTurnAsync([32, 33, 34], TimeSpan.FromSeconds(30), told.Add, TestContext.Current.CancellationToken);

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

        using var writer = TestStateWriter.For(tree.Root);
        var results = await writer.OfflineInTurnAsync([32, 33, 34], TimeSpan.FromSeconds(30), null, TestContext.Current.CancellationToken);

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

        using var writer = TestStateWriter.For(tree.Root);
        var running = writer.OfflineInTurnAsync([32, 33, 34], Timeout.InfiniteTimeSpan, id => offlined.TrySetResult(id), stop.Token);
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
        AddBlockWhoseWriteHangs(tree, 33);
        var started = new Started();
        using var writer = new SysfsBlockStateWriter(tree.Root, TestStateWriter.Command, started.Add);
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var running = writer.OfflineInTurnAsync([32, 33], TimeSpan.FromMinutes(5), _ => first.TrySetResult(), TestContext.Current.CancellationToken);
        await first.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken); // now blocked on memory33
        Assert.Equal(0, Syscall.kill(started.Pids.Single(), Signum.SIGKILL)); // what the OOM killer sends
        var results = await running.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        Assert.Equal(2, results.Count);
        Assert.True(results[0].Succeeded);
        Assert.False(results[1].TimedOut);
        Assert.Contains("killed by signal 9", results[1].Message);
        Assert.Contains("OOM killer", results[1].Message);
    }

    /// <summary>After an offline the next one's writer is started and waits: the next offline uses it, starting none.</summary>
    [Fact]
    public async Task TheNextOfflinesWriterIsStartedAheadAndUsed()
    {
        using var after = await AfterOneOffline.StartAsync();
        Assert.True(IsRunning(after.Ahead), "the writer started ahead waits for its request");
        Assert.Equal("online", after.Tree.ReadState(33)); // it has written nothing

        var startedDuringTheSecond = -1;
        var results = await after.Writer.OfflineInTurnAsync([33], TimeSpan.FromSeconds(60), _ => startedDuringTheSecond = after.Started.Pids.Count, TestContext.Current.CancellationToken);

        Assert.True(results.Single().Succeeded, results.Single().Message);
        Assert.Equal(2, startedDuringTheSecond);
        Assert.Equal("offline", after.Tree.ReadState(33));
        await WaitUntilAsync(() => !IsRunning(after.Ahead), "the writer started ahead ends once it has written");
    }

    /// <summary>A writer started ahead that is killed while it waits (an OOM kill, a person) is replaced when taken.</summary>
    [Fact]
    public async Task AWriterStartedAheadThatDiedIsReplaced()
    {
        using var after = await AfterOneOffline.StartAsync();

        Assert.Equal(0, Syscall.kill(after.Ahead, Signum.SIGKILL));
        await WaitUntilAsync(() => !IsRunning(after.Ahead), "the killed writer ends");
        var result = await after.Writer.WriteAsync(33, BlockStateRequest.Offline, TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal("offline", after.Tree.ReadState(33));
        Assert.True(after.Started.Pids.Count >= 3, "a new writer did the offline");
    }

    /// <summary>Disposing the writer ends the one waiting, which writes nothing.</summary>
    [Fact]
    public async Task DisposingEndsTheWriterWaiting()
    {
        using var after = await AfterOneOffline.StartAsync();

        after.Writer.Dispose();

        await WaitUntilAsync(() => !IsRunning(after.Ahead), "the writer started ahead ends when the agent's writer is disposed");
        Assert.Equal(2, after.Started.Pids.Count);
        Assert.Equal("online", after.Tree.ReadState(33));
    }

    /// <summary>The request form: the child waits on its input for its arguments; an input that ends empty ends it quietly.</summary>
    [Fact]
    public async Task TheChildTakesItsRequestOnItsInputAndEndsQuietlyWithout()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBlock(32, "online", "Movable");
        tree.AddBlock(33, "online", "Movable");

        var (code, output) = await RunChildAsync(StateWriterCommand.EncodeRequest([tree.Root.BlockAttribute(32, "state"), tree.Root.BlockAttribute(33, "state"), "offline"]));
        Assert.Equal(0, code);
        Assert.Equal(["0", "0"], output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("offline", tree.ReadState(33));

        (code, output) = await RunChildAsync([]);
        Assert.Equal(0, code);
        Assert.Equal("", output);

        (code, _) = await RunChildAsync(StateWriterCommand.EncodeRequest(["/etc/passwd", "offline"]));
        Assert.Equal(StateWriterCommand.UsageExitCode, code);
    }

    [Fact]
    public void ARequestOnTheInputIsTheArgumentsEachEndedByNul()
    {
        string[] arguments = ["/sys/devices/system/memory/memory32/state", "/sys/devices/system/memory/memory33/state", "offline"];

        Assert.Equal("/sys/devices/system/memory/memory32/state\0/sys/devices/system/memory/memory33/state\0offline\0", System.Text.Encoding.UTF8.GetString(StateWriterCommand.EncodeRequest(arguments)));
        Assert.Equal(arguments, StateWriterCommand.DecodeRequest(StateWriterCommand.EncodeRequest(arguments)));
        Assert.Empty(StateWriterCommand.DecodeRequest([]));
    }

    private static async Task<(int Code, string Output)> RunChildAsync(byte[] input)
    {
        var start = new ProcessStartInfo(TestStateWriter.Command.FileName) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in TestStateWriter.Command.Arguments.Append(StateWriterCommand.RequestOnStandardInput))
        {
            start.ArgumentList.Add(argument);
        }

        using var child = Process.Start(start)!;
        await child.StandardInput.BaseStream.WriteAsync(input, TestContext.Current.CancellationToken);
        child.StandardInput.Close();
        var output = await child.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await child.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        return (child.ExitCode, output);
    }

    /// <summary>A block whose <c>state</c> is a FIFO with no reader: opening it to write blocks, as a long migration does.</summary>
    private static string AddBlockWhoseWriteHangs(FakeSysfsTree tree, int id)
    {
        Directory.CreateDirectory(tree.Root.BlockDirectory(id));
        var state = tree.Root.BlockAttribute(id, "state");
        Assert.Equal(0, Syscall.mkfifo(state, FilePermissions.S_IRUSR | FilePermissions.S_IWUSR));
        return state;
    }

    /// <summary>Alive and not a zombie.</summary>
    private static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), what);
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>A real writer on two Movable blocks (32, 33) after offlining block 32: the next writer started ahead and waiting.</summary>
    private sealed class AfterOneOffline : IDisposable
    {
        private AfterOneOffline()
        {
            Tree.AddBlock(32, "online", "Movable");
            Tree.AddBlock(33, "online", "Movable");
            Writer = new SysfsBlockStateWriter(Tree.Root, TestStateWriter.Command, Started.Add);
        }

        public FakeSysfsTree Tree { get; } = new();

        public Started Started { get; } = new();

        public SysfsBlockStateWriter Writer { get; }

        /// <summary>The writer started ahead.</summary>
        public int Ahead { get; private set; }

        public static async Task<AfterOneOffline> StartAsync()
        {
            var after = new AfterOneOffline();
            var first = await after.Writer.WriteAsync(32, BlockStateRequest.Offline, TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
            Assert.True(first.Succeeded, first.Message);
            after.Ahead = await after.Started.WaitForAsync(2);
            return after;
        }

        public void Dispose()
        {
            Writer.Dispose();
            Tree.Dispose();
        }
    }

    /// <summary>The writers' process ids as the writer says it starts them.</summary>
    private sealed class Started
    {
        private readonly Lock _lock = new();
        private readonly List<int> _pids = [];
        private TaskCompletionSource _added = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IReadOnlyList<int> Pids
        {
            get
            {
                lock (_lock)
                {
                    return [.. _pids];
                }
            }
        }

        public void Add(int pid)
        {
            TaskCompletionSource added;
            lock (_lock)
            {
                _pids.Add(pid);
                (added, _added) = (_added, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            }

            added.SetResult();
        }

        /// <summary>The <paramref name="count"/>th writer's id, once it has started.</summary>
        public async Task<int> WaitForAsync(int count)
        {
            while (true)
            {
                Task added;
                lock (_lock)
                {
                    if (_pids.Count >= count)
                    {
                        return _pids[count - 1];
                    }

                    added = _added.Task;
                }

                await added.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
            }
        }
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
