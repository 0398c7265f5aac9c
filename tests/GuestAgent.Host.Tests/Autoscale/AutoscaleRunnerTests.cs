using GuestAgent.Host.Autoscale;
using GuestAgent.Host.Operations;
using GuestAgent.Host.State;
using GuestAgent.Host.Tests.Pairing;
using GuestAgent.Host.Tests.Support;
using GuestAgent.Host.Workflows;

namespace GuestAgent.Host.Tests.Autoscale;

/// <summary>
/// <c>autoscale</c> end to end on a simulated QEMU with the real agent behind it (its channel one host at a time, as
/// QEMU's chardev socket), the guest's use of memory played by the fake proc tree. Real time, short windows; every
/// wait is on an event autoscale or the hypervisor reports.
/// </summary>
public sealed class AutoscaleRunnerTests : IAsyncDisposable
{
    private const long M = 1L << 20;
    private const long G = 1L << 30;

    private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
    private readonly RecordingReporter _log = new();
    private PairedHost _host = new(oneHostAtATime: true);
    private Task<int>? _run;

    private static AutoscaleLimits Limits => new() { Min = G, Max = 3 * G, Interval = TimeSpan.FromMilliseconds(200), Window = TimeSpan.FromSeconds(2), MaxFailures = 3 };

    private async Task StartAsync(AutoscaleLimits? limits = null, bool dryRun = false, HostOptions? options = null)
    {
        await _host.StartAsync();
        _host.Guest.Proc.Use(100 * M);
        var runner = new AutoscaleRunner(options ?? _host.Options, new AutoscaleOptions
        {
            Limits = limits ?? Limits, DryRun = dryRun, ReadVmEvery = TimeSpan.FromSeconds(1), ReconnectEvery = TimeSpan.FromMilliseconds(300),
        }, _log);
        _run = runner.RunAsync(_stop.Token);
        await _log.WaitAsync(e => e.Kind == "autoscale-agent" && e.Message.Contains("reports every", StringComparison.Ordinal));

        // A decision on the guest's first report, so that a test's change of load is seen as a change (a trend), not
        // as where the guest started (a slow machine once had the first report arrive after the change).
        await _log.WaitAsync(e => e.Kind is "autoscale-hold" or "autoscale-grow" or "autoscale-shrink" && !e.Message.Contains("no report from the agent yet", StringComparison.Ordinal));
    }

    private async Task<int> StopAsync()
    {
        await _stop.CancelAsync();
        return await _run!.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
    }

    private ControllerState SavedState => new StateStore(_host.Options.StatePath!).Load();

    [Fact]
    public async Task ItGrowsAheadOfAGuestRunningShortAndGivesBackWhatTheGuestLetsGoOnceItIsComfortable()
    {
        await StartAsync();

        _host.Guest.Proc.Use(900 * M); // 1 GiB, 124 MiB (12 %) available
        var grown = await _log.WaitAsync("autoscale-done");
        var grow = _log.Events.First(e => e.Kind == "autoscale-grow");
        _host.Guest.Proc.Use(100 * M);
        var shrunk = await _log.WaitAsync("autoscale-done", 2);
        var shrink = _log.Events.First(e => e.Kind == "autoscale-shrink");

        // 800 MiB more in use at once: once more would leave nothing, so a whole step (1 GiB) goes in.
        Assert.Contains("grow 1 GiB: available 12 % < buffer 20 %, PSI some 0 %, use rose 800 MiB in 10 s (once more would leave 0 %)", grow.Message, StringComparison.Ordinal);
        Assert.Equal(G, grow.Data!["bytes"]!.GetValue<long>());
        Assert.Equal(124 * M, grow.Data!["available"]!.GetValue<long>());
        Assert.Contains("grow done in ", grown.Message, StringComparison.Ordinal);
        Assert.Contains("memory 1 GiB → 2 GiB", grown.Message, StringComparison.Ordinal);
        Assert.Matches("shrink 1 GiB \\(ga-dimm0\\): available \\d+ % >= buffer 20 %, PSI some 0 %, for 2 s; the guest says they can go now", shrink.Message);
        Assert.Contains("memory 2 GiB → 1 GiB", shrunk.Message, StringComparison.Ordinal);
        Assert.Empty(_host.Qemu.Dimms); // removed only because every block was offline: the guest prepared it
        Assert.Equal(["object-add", "device_add", "device_del", "object-del"], _host.Qemu.CommandNames.Where(c => c is "object-add" or "device_add" or "device_del" or "object-del"));
        Assert.Equal(0, await StopAsync());
        Assert.Empty(SavedState.Dimms);
        Assert.Contains("autoscale stopped: 2 steps done, 0 failed, 0 not taken", _log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AVirtioMemDeviceIsGrownAndShrunkThroughItsRequestedSize()
    {
        await _host.DisposeAsync();
        _host = new PairedHost(virtioMem: true, oneHostAtATime: true);
        await StartAsync();

        _host.Guest.Proc.Use(900 * M); // grows the whole device (1 GiB: its largest size, and the step)
        var grown = await _log.WaitAsync("autoscale-done");
        _host.Guest.Proc.Use(100 * M);
        var shrunk = await _log.WaitAsync("autoscale-done", 2);
        var shrink = _log.Events.First(e => e.Kind == "autoscale-shrink");

        Assert.Contains("grow 1 GiB: available 12 % < buffer 20 %", _log.Text, StringComparison.Ordinal);
        Assert.Contains("memory 1 GiB → 2 GiB", grown.Message, StringComparison.Ordinal);
        Assert.StartsWith("shrink 1 GiB through virtio-mem vm0: available", shrink.Message[9..], StringComparison.Ordinal);
        Assert.Contains("the guest can give back 1 GiB now", shrink.Message, StringComparison.Ordinal);
        Assert.Contains("memory 2 GiB → 1 GiB", shrunk.Message, StringComparison.Ordinal);
        Assert.Equal((0L, 0L), (_host.Qemu.VirtioMem!.RequestedSize, _host.Qemu.VirtioMem.Size));
        Assert.Equal(0, await StopAsync());
    }

    [Fact]
    public async Task APersonsCommandGetsTheAgentsChannelAndWhatItChangedStartsTheWindowAgain()
    {
        await StartAsync();
        var before = _host.Guest.Connections;

        await using (var person = await _host.OpenAsync(command: "plug 256M"))
        {
            await _log.WaitAsync("autoscale-yield");
            Assert.NotNull(person.Agent); // the one-host channel was let go for it
            await person.PlugAsync(256 * M, null, TestContext.Current.CancellationToken);
        }

        await _log.WaitAsync("autoscale-resumed");
        await _log.WaitAsync("autoscale-agent", 2);
        var held = await _log.WaitAsync("autoscale-hold", 2);
        var next = await _log.WaitAsync(e => e.Kind == "autoscale-hold" && e.Message.Contains("the last change was less than", StringComparison.Ordinal));

        Assert.Contains("yielding to guest-agent-host pid", _log.Text, StringComparison.Ordinal);
        Assert.Contains("(plug 256M, since", _log.Text, StringComparison.Ordinal);
        Assert.Contains("has the VM: a person's command goes first", _log.Text, StringComparison.Ordinal);
        Assert.True(_host.Guest.Connections >= before + 2, "the person's connection, then autoscale's again");
        Assert.Contains("the last change was less than 2 s ago", next.Message, StringComparison.Ordinal); // the person's plug counts as a change
        Assert.NotNull(held);
        Assert.Equal(0, await StopAsync());
    }

    [Fact]
    public async Task APersonsCommandWaitsForAnAutoscaleStepInsteadOfFailing()
    {
        await _host.StartAsync();
        var lockPath = Path.Combine(_host.Options.LockDirectory, "uuid-" + _host.Qemu.Uuid.ToLowerInvariant() + ".lock");
        var step = StateLock.TryAcquire(lockPath, new LockHolder { Pid = Environment.ProcessId, Command = "autoscale: grow 128 MiB", Since = DateTimeOffset.Now, Vm = "x", StateFile = "y" })!;
        var said = new RecordingReporter();

        var opening = HostController.OpenAsync(_host.Options with { Command = "unplug ga-dimm0" }, said, TestContext.Current.CancellationToken);
        var waiting = await said.WaitAsync("waiting");
        var announced = LockWaiting.Read(lockPath);
        step.Dispose();
        await using var person = await opening;

        Assert.StartsWith("waiting for guest-agent-host pid", waiting.Message, StringComparison.Ordinal);
        Assert.Contains("(autoscale: grow 128 MiB, since", waiting.Message, StringComparison.Ordinal);
        Assert.Equal("unplug ga-dimm0", announced?.Command);
        Assert.Null(LockWaiting.Read(lockPath));
    }

    [Fact]
    public async Task ADryRunDecidesAndSaysSoButChangesNothing()
    {
        await StartAsync(dryRun: true);

        _host.Guest.Proc.Use(900 * M);
        var would = await _log.WaitAsync("autoscale-grow");

        Assert.StartsWith("dry run, would grow 1 GiB: available 12 % < buffer 20 %", would.Message[9..], StringComparison.Ordinal);
        Assert.True(would.Data!["dry-run"]!.GetValue<bool>());
        Assert.Equal(0, await StopAsync());
        Assert.DoesNotContain("object-add", _host.Qemu.CommandNames);
        Assert.Contains("nothing is changed", _log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NothingIsDoneDuringAMigrationAndAVmThatMigratedAwayEndsIt()
    {
        _host.Qemu.SetMigration("running", "active");
        await StartAsync();

        _host.Guest.Proc.Use(900 * M);
        var held = await _log.WaitAsync(e => e.Kind == "autoscale-hold" && e.Message.Contains("a migration holds the VM", StringComparison.Ordinal));
        _host.Qemu.SetMigration("postmigrate", "completed");
        var exit = await _run!.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.NotNull(held);
        Assert.Equal(0, exit);
        Assert.Contains("the VM has migrated away", _log.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("object-add", _host.Qemu.CommandNames);
    }

    [Fact]
    public async Task AFailedStepIsSaidAndBackedOffAndRepeatedFailuresStopItActing()
    {
        // The options say 4 GiB may be reached; QEMU's own maxmem (1.25 GiB) refuses the DIMM.
        await _host.DisposeAsync();
        _host = new PairedHost(oneHostAtATime: true, maxMemory: 1280 * M);
        await StartAsync(Limits with { MaxFailures = 1 });

        _host.Guest.Proc.Use(900 * M);
        var failed = await _log.WaitAsync("autoscale-failed");
        var stopped = await _log.WaitAsync("autoscale-stop");

        Assert.Contains("step failed (1 in a row): ", failed.Message, StringComparison.Ordinal);
        Assert.Contains("not enough space", failed.Message, StringComparison.Ordinal);
        Assert.Contains("stopped acting after 1 failed steps in a row", stopped.Message, StringComparison.Ordinal);
        Assert.Single(_host.Qemu.CommandNames, c => c == "device_add");
        Assert.Equal(0, await StopAsync());
        Assert.Empty(SavedState.Dimms); // the half-done plug was undone and the state file says so
    }

    [Fact]
    public async Task StoppingEndsItAfterTheStepInProgressWithTheStateFileTrue()
    {
        await StartAsync();
        var plugging = _host.Qemu.Answered("device_add");

        _host.Guest.Proc.Use(900 * M);
        await plugging;
        await _stop.CancelAsync();
        var exit = await _run!.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        Assert.Equal(0, exit);
        Assert.True(_log.Kinds.ToList().IndexOf("autoscale-done") < _log.Kinds.ToList().IndexOf("autoscale-stopped"));
        var record = Assert.Single(SavedState.Dimms);
        Assert.Equal(DimmOperation.None, record.Operation);
        Assert.Single(_host.Qemu.Dimms);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_run is not null)
        {
            try
            {
                await _run;
            }
            catch (OperationCanceledException)
            {
                // Stopped before it began.
            }
        }

        await _host.DisposeAsync();
        _stop.Dispose();
        TestContext.Current.TestOutputHelper?.WriteLine(_log.Text);
    }
}
