using System.Globalization;
using System.Text.Json.Nodes;
using GuestAgent.Host.Agent;
using GuestAgent.Host.Hypervisor;
using GuestAgent.Host.Operations;
using GuestAgent.Host.Qmp;
using GuestAgent.Host.Reporting;
using GuestAgent.Host.State;
using GuestAgent.Host.Workflows;
using GuestAgent.Protocol.Sizes;

namespace GuestAgent.Host.Autoscale;

/// <summary>
/// <c>guest-agent-host autoscale</c>: keeps a connection to the agent and has it push its memory status every
/// interval; decides on each report (<see cref="AutoscalePolicy"/>); takes the VM's lock only for a step
/// (<see cref="AutoscaleStep"/>). It lets go of the agent's channel as soon as a person's command has or waits for
/// the VM, and counts what that command did as a change. It reads the VM between steps through a connection of its
/// own, closed at once. Cancelling ends it after the step in progress; a VM that migrated away ends it.
/// </summary>
public sealed class AutoscaleRunner
{
    private readonly HostOptions _options;
    private readonly AutoscaleOptions _autoscale;
    private readonly TimeProvider _time;
    private readonly DecisionLog _log;
    private readonly VmProbe _probe;
    private readonly AutoscaleStep _step;
    private readonly SampleWindow _samples;
    private readonly ReportSource _reports;
    private MemoryStatusReport? _latest;
    private VmReading? _vm;
    private string? _lockPath;
    private DateTimeOffset? _lastChange;
    private int _failures;
    private string? _lastFailure;
    private DateTimeOffset? _lastFailureAt;
    private bool _yielded;
    private bool _stopped;

    public AutoscaleRunner(HostOptions options, AutoscaleOptions autoscale, IHostReporter reporter, TimeProvider? time = null)
    {
        _options = options with { Command = LockHolder.AutoscalePrefix };
        _autoscale = autoscale;
        _time = time ?? TimeProvider.System;
        _log = new DecisionLog(reporter, _time, autoscale.Verbose);
        _probe = new VmProbe(_options, _time);
        _step = new AutoscaleStep(_options, reporter, _time);
        _samples = new SampleWindow(autoscale.Limits);
        _reports = new ReportSource(autoscale, _options.AgentTimeout, _time);
    }

    /// <summary>Steps carried out, failed, and not taken, since the start (for the end of the log and for tests).</summary>
    public (int Done, int Failed, int NotTaken) Steps { get; private set; }

    /// <summary>
    /// Runs until <paramref name="stop"/> is cancelled (returns 0 after the step in progress) or the VM migrated away
    /// (0, saying so). Throws what connecting throws when the VM cannot be read at the start.
    /// </summary>
    public async Task<int> RunAsync(CancellationToken stop)
    {
        _vm = await _probe.ReadAsync(null, stop).ConfigureAwait(false);
        _lockPath = Path.Combine(_options.LockDirectory, _vm.Identity.Key + ".lock");
        var limits = _autoscale.Limits;
        _log.Say("autoscale-started", $"autoscale {_vm.Identity.Description}: memory {ByteSize.Format(_vm.Memory.CurrentMemory)}, kept from {ByteSize.Format(limits.Min)} to {ByteSize.Format(limits.Max)} "
            + string.Create(CultureInfo.InvariantCulture, $"with {limits.BufferPercent} % available, growing at PSI some {limits.PressurePercent} %, shrinking after {limits.Window.TotalSeconds:0} s comfortable, by at most {ByteSize.Format(limits.Step)} a step")
            + (_autoscale.DryRun ? "; dry run: nothing is changed" : ""));
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await WaitForNewsAsync(stop).ConfigureAwait(false);
                if (await TurnAsync(stop).ConfigureAwait(false) is { } exit)
                {
                    return exit;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopping between steps.
        }
        finally
        {
            await LetGoOfAgentAsync().ConfigureAwait(false);
        }

        _log.Say("autoscale-stopped", $"autoscale stopped: {Steps.Done} steps done, {Steps.Failed} failed, {Steps.NotTaken} not taken");
        return Cli.ExitCodes.Ok;
    }

    /// <summary>One turn: yield to a person, keep the agent, read its reports, read the VM when due, decide, act.</summary>
    private async Task<int?> TurnAsync(CancellationToken stop)
    {
        var now = _time.GetUtcNow();
        if (OtherParty() is { } other)
        {
            if (!_yielded)
            {
                _yielded = true;
                await LetGoOfAgentAsync().ConfigureAwait(false);
                _log.Say("autoscale-yield", $"yielding to {other.Describe()}: the agent's channel and the monitor are its until it ends");
            }

            _log.Decision(AutoscalePolicy.Decide(Input(now) with { HeldBy = other.Describe() }), _samples.Latest, Shape());
            return null;
        }

        if (_yielded)
        {
            // What the person's command changed counts as a change: the window starts again.
            _yielded = false;
            _lastChange = now;
            _vm = null;
            _log.Say("autoscale-resumed", "resuming: the person's command ended");
        }

        await KeepAgentAsync(now, stop).ConfigureAwait(false);
        Drain();
        if (_vm is null || now - _vm.At >= _autoscale.ReadVmEvery)
        {
            await ReadVmAsync(stop).ConfigureAwait(false);
        }

        if (_vm?.Migration.Phase == MigrationPhase.MigratedAway)
        {
            _log.Say("autoscale-migrated", $"the VM has migrated away ({_vm.Migration.Said}): autoscale it on the destination; ending");
            return Cli.ExitCodes.Ok;
        }

        var decision = AutoscalePolicy.Decide(Input(now));
        if (decision.Action == AutoscaleAction.Hold && _reports.Problem is not null && _samples.Latest is null)
        {
            decision = AutoscaleDecision.Hold(_reports.Problem);
        }

        if (decision.Action == AutoscaleAction.Stop)
        {
            if (!_stopped)
            {
                _stopped = true;
                _log.Decision(decision, _samples.Latest, Shape());
            }

            return null;
        }

        _log.Decision(decision, _samples.Latest, Shape(), _autoscale.DryRun);
        if (decision.Action == AutoscaleAction.Hold || _autoscale.DryRun || _reports.Agent is null || _latest is null)
        {
            if (_autoscale.DryRun && decision.Action != AutoscaleAction.Hold)
            {
                // A dry run pretends it acted, so that it says what it would do next rather than the same again.
                _lastChange = now;
            }

            return null;
        }

        await StepAsync(decision, now).ConfigureAwait(false);
        return null;
    }

    private async Task StepAsync(AutoscaleDecision decision, DateTimeOffset decidedAt)
    {
        // SIGTERM ends autoscale after the step: the step itself is never cancelled (its workflows have their own limits).
        var outcome = await _step.RunAsync(decision, _reports.Agent!, _latest!, (shape, phase) => AutoscalePolicy.Decide(Input(decidedAt) with { Vm = shape, Migration = phase }), CancellationToken.None).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        switch (outcome.Result)
        {
            case StepResult.Done:
                Steps = Steps with { Done = Steps.Done + 1 };
                (_failures, _lastFailure, _lastFailureAt) = (0, null, null);
                _log.Say("autoscale-done", outcome.Message, new JsonObject { ["memory"] = outcome.MemoryAfter });
                break;
            case StepResult.NotTaken:
                Steps = Steps with { NotTaken = Steps.NotTaken + 1 };
                _log.Say("autoscale-not-taken", "step not taken: " + outcome.Message);
                break;
            default:
                Steps = Steps with { Failed = Steps.Failed + 1 };
                (_failures, _lastFailure, _lastFailureAt) = (_failures + 1, outcome.Message, now);
                _log.Say("autoscale-failed", $"step failed ({_failures} in a row): {outcome.Message}; "
                    + (_failures >= _autoscale.Limits.MaxFailures ? "no more steps" : $"no step before {(now + AutoscalePolicy.Backoff(_failures)).ToLocalTime():HH:mm:ss}"));
                break;
        }

        if (outcome.Result != StepResult.NotTaken)
        {
            _lastChange = now;
        }

        _vm = null;
    }

    private AutoscaleInput Input(DateTimeOffset now) => new()
    {
        Limits = _autoscale.Limits,
        Now = now,
        Samples = _samples.Samples,
        Vm = Shape(),
        Migration = _vm?.Migration.Phase ?? MigrationPhase.None,
        LastChange = _lastChange,
        Failures = _failures,
        LastFailure = _lastFailure,
        LastFailureAt = _lastFailureAt,
    };

    private VmShape? Shape() => _vm is null ? null : VmShapeBuilder.Build(_vm.Memory, _vm.Limits, _latest?.Status.Devices ?? []);

    /// <summary>A command that has the VM's lock or waits for it, other than autoscale's own steps.</summary>
    private LockHolder? OtherParty() =>
        LockWaiting.Read(_lockPath!) ?? (LockHolders.Read(StateLock.HolderPath(_lockPath!)) is { } holder && (!holder.IsAutoscale || holder.Pid != Environment.ProcessId) ? holder : null);

    /// <summary>Connects to the agent and asks for its reports, when there is no connection (at most every few seconds).</summary>
    private async Task KeepAgentAsync(DateTimeOffset now, CancellationToken stop)
    {
        await _reports.KeepAsync(now, _options.AgentPath ?? _vm?.AgentPath, _vm?.NoAgentChannel, Lost, m => _log.Say("autoscale-agent", m), stop).ConfigureAwait(false);

        void Lost(string why)
        {
            _samples.Clear();
            _latest = null;
            _log.Say("autoscale-agent", $"lost the agent ({why}); connecting again");
        }
    }

    private void Drain()
    {
        while (_reports.TryRead(out var report))
        {
            _latest = report;
            if (GuestSample.From(report.Status, report.At) is { } sample)
            {
                _samples.Add(sample);
                _reports.Problem = null;
            }
            else
            {
                _reports.Problem = "the guest cannot read its own memory: " + (report.Status.Problem ?? "no figures");
            }
        }
    }

    private async Task ReadVmAsync(CancellationToken stop)
    {
        try
        {
            _vm = await _probe.ReadAsync(_reports.Agent?.Hello.BlockSize, stop).ConfigureAwait(false);
        }
        catch (Exception e) when (e is MonitorHeldException or HostCommandException or QmpException or QmpCommandException or IOException or InvalidDataException
                                      or HypervisorRefusedException or Libvirt.LibvirtException)
        {
            // The last reading stands (no step is taken on it without reading again under the lock).
            if (_vm is not null)
            {
                _vm = _vm with { At = _time.GetUtcNow() };
            }

            _log.Say("autoscale-vm", "cannot read the VM now: " + e.Message);
        }
    }

    /// <summary>Waits for the agent's next report, or the next look at the lock, whichever comes first.</summary>
    private async Task WaitForNewsAsync(CancellationToken stop)
    {
        using var turn = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var tick = Task.Delay(_autoscale.YieldCheckEvery, _time, turn.Token);
        var report = _reports.WaitAsync(turn.Token);
        await Task.WhenAny(tick, report).ConfigureAwait(false);
        await turn.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(tick, report).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
        stop.ThrowIfCancellationRequested();
    }

    private Task LetGoOfAgentAsync() => _reports.LetGoAsync();
}
