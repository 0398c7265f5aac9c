using GuestAgent.Host.Operations;
using GuestAgent.Host.Reporting;
using GuestAgent.Host.State;

namespace GuestAgent.Host.Workflows;

/// <summary>
/// A person's command goes before autoscale: it waits at most for the step in progress (autoscale holds the VM's lock
/// and, on bare QEMU, its monitor only for a step), having said so, and autoscale starts no new step meanwhile.
/// </summary>
public static class PersonFirst
{
    /// <summary>
    /// A person's command (not a read-only one) whose VM an autoscaler's step has goes first: it says it waits
    /// (<see cref="LockWaiting"/>: the autoscaler starts no new step and lets go of the agent's channel) and waits for
    /// the step to end, at most as long as a step can take. Null when the lock is another's, or still busy after that.
    /// </summary>
    public static async Task<StateLock?> WaitForAutoscaleStepAsync(HostOptions options, string lockPath, LockHolder me, LockWaiting? waiting, IHostReporter reporter, TimeProvider time, CancellationToken cancellationToken)
    {
        if (me.IsAutoscale || LockHolders.Read(StateLock.HolderPath(lockPath)) is not { IsAutoscale: true } autoscale)
        {
            return null;
        }

        using var announced = waiting is null ? LockWaiting.Announce(lockPath, me) : null;
        reporter.Report(new HostEvent("waiting", $"waiting for {autoscale.Describe()} to end its step: a person's command goes first, autoscale starts no other meanwhile"));
        var started = time.GetTimestamp();
        while (time.GetElapsedTime(started) < StepLimit(options))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), time, cancellationToken).ConfigureAwait(false);
            if (StateLock.TryAcquire(lockPath, me) is { } taken)
            {
                return taken;
            }

            if (LockHolders.Read(StateLock.HolderPath(lockPath)) is { IsAutoscale: false })
            {
                return null;
            }
        }

        return null;
    }

    /// <summary>On bare QEMU an autoscaler's step may have the VM's only monitor: a person's command waits for it as for the lock.</summary>
    public static async Task<LockWaiting?> WaitForAutoscaleMonitorAsync(HostOptions options, IHostReporter reporter, TimeProvider time, CancellationToken cancellationToken)
    {
        if (options.ReadOnly || options.Command.StartsWith(LockHolder.AutoscalePrefix, StringComparison.Ordinal) || options.QmpPath is not { } qmp
            || LockHolders.UsingMonitor(options.LockDirectory, qmp) is not { IsAutoscale: true } autoscale)
        {
            return null;
        }

        var waiting = LockWaiting.Announce(Path.Combine(options.LockDirectory, autoscale.Vm + ".lock"), autoscale with { Pid = Environment.ProcessId, Command = options.Command, Since = time.GetUtcNow() });
        reporter.Report(new HostEvent("waiting", $"waiting for {autoscale.Describe()} to end its step: a person's command goes first, autoscale starts no other meanwhile"));
        var started = time.GetTimestamp();
        while (time.GetElapsedTime(started) < StepLimit(options) && LockHolders.UsingMonitor(options.LockDirectory, qmp) is { IsAutoscale: true })
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), time, cancellationToken).ConfigureAwait(false);
        }

        return waiting;
    }

    /// <summary>The longest an autoscaler's step can take: an unplug's prepare and removal, a plug's onlining.</summary>
    private static TimeSpan StepLimit(HostOptions options) => options.PrepareTimeout + options.UnplugTimeout + options.OnlineTimeout;
}
