using System.Globalization;
using GuestAgent.Channels;
using GuestAgent.Memory.Agent;
using GuestAgent.Memory.Model;
using GuestAgent.Memory.Policy;
using GuestAgent.Memory.Readiness;
using Microsoft.Extensions.Hosting;

namespace GuestAgent.Hosting;

/// <summary>
/// The service's life as systemd sees it (<c>Type=notify</c>): READY=1 once the first scan is done and the channels
/// are served; a STATUS= line a person can read in <c>systemctl status</c> ("8 DIMMs, 6 ready, policy movable, host
/// connected"), kept current; WATCHDOG=1 at half the unit's <c>WatchdogSec=</c> when it sets one; STOPPING=1 on stop.
/// </summary>
public sealed class SystemdNotifyService(ISystemdNotifier notifier, MemoryAgent agent, ChannelService channels, TimeProvider time) : BackgroundService
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

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        notifier.Notify(ServiceState.Stopping);
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
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
        notifier.Notify(ServiceState.Ready);
        agent.Changed += OnChanged;
        try
        {
            var watchdog = WatchdogInterval();
            using var timer = new PeriodicTimer(watchdog ?? TimeSpan.FromSeconds(30), time);
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                if (watchdog is not null)
                {
                    notifier.Notify(ServiceState.Watchdog);
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
            notifier.Notify(ServiceState.Status(status));
        }
    }

    /// <summary>Half of <c>WATCHDOG_USEC</c> when systemd asked this process for a watchdog; null otherwise.</summary>
    private static TimeSpan? WatchdogInterval()
    {
        var pid = Environment.GetEnvironmentVariable("WATCHDOG_PID");
        if (!string.IsNullOrEmpty(pid) && pid != Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
        {
            return null;
        }

        return long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out var usec) && usec > 0
            ? TimeSpan.FromMicroseconds(usec / 2.0)
            : null;
    }
}
