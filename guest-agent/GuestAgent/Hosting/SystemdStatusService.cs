using System.Globalization;
using GuestAgent.Channels;
using GuestAgent.Memory.Agent;
using GuestAgent.Memory.Model;
using GuestAgent.Memory.Policy;
using GuestAgent.Memory.Readiness;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;

namespace GuestAgent.Hosting;

/// <summary>
/// What systemd hears besides READY=1 and STOPPING=1 (those are Microsoft.Extensions.Hosting.Systemd's
/// <c>SystemdLifetime</c>, once <see cref="ServingGate"/> lets the host finish starting): a STATUS= line a person can
/// read in <c>systemctl status</c> ("8 DIMMs, 6 ready, policy movable, host connected"), kept current, and WATCHDOG=1
/// at half the unit's <c>WatchdogSec=</c> only while the agent's reconcile loop is turning: a stuck agent is killed
/// and restarted by systemd, not kept alive by a timer.
/// </summary>
public sealed class SystemdStatusService(ISystemdNotifier notifier, MemoryAgent agent, ChannelService channels, TimeProvider time) : BackgroundService
{
    private string? _lastStatus;

    /// <summary>The status line for a view: DIMMs (not boot memory), how many are ready, the policy, the host.</summary>
    public static string StatusLine(MemoryAgentView view, bool hostConnected)
    {
        var dimms = view.Snapshot.Dimms.Where(d => d.Kind != DimmKind.Boot).ToList();
        var ready = dimms.Count(d => view.Readiness.TryGetValue(d.Id, out var r) && r.State == ReadinessState.Ready);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{dimms.Count} DIMM{(dimms.Count == 1 ? "" : "s")}, {ready} ready, policy {OnlinePolicyNames.Format(view.Policy.Kind)}, {(hostConnected ? "host connected" : "no host connected")}");
    }

    /// <summary>Half of <c>WATCHDOG_USEC</c> when systemd asked this process for a watchdog; null otherwise.</summary>
    public static TimeSpan? WatchdogInterval(string? watchdogUsec, string? watchdogPid)
    {
        if (!string.IsNullOrEmpty(watchdogPid) && watchdogPid != Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
        {
            return null;
        }

        return long.TryParse(watchdogUsec, NumberStyles.None, CultureInfo.InvariantCulture, out var usec) && usec > 0
            ? TimeSpan.FromMicroseconds(usec / 2.0)
            : null;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!notifier.IsEnabled)
        {
            return;
        }

        try
        {
            await channels.Serving.WaitAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        UpdateStatus();
        agent.Changed += OnChanged;
        try
        {
            var watchdog = WatchdogInterval(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), Environment.GetEnvironmentVariable("WATCHDOG_PID"));
            using var timer = new PeriodicTimer(watchdog ?? TimeSpan.FromSeconds(30), time);
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                // Alive: idle, or in a reconcile younger than the watchdog's whole period.
                if (watchdog is { } half && agent.IsLoopAlive(half * 2))
                {
                    notifier.Notify(new ServiceState("WATCHDOG=1"));
                }

                UpdateStatus(); // the host's connection changes without an agent event
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
        finally
        {
            agent.Changed -= OnChanged;
        }
    }

    private void OnChanged(AgentEvent e) => UpdateStatus();

    private void UpdateStatus()
    {
        var status = StatusLine(agent.View, channels.AnyPeerConnected);
        if (status != Interlocked.Exchange(ref _lastStatus, status))
        {
            notifier.Notify(new ServiceState("STATUS=" + status.Replace('\n', ' ')));
        }
    }
}
