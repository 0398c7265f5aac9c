using GuestAgent.Host.Hypervisor;

namespace GuestAgent.Host.Qmp;

/// <summary><c>VSERPORT_CHANGE {id, open: false}</c> for the agent's port; never completes when the port has no id.</summary>
public sealed class QmpAgentPortWatch : IAgentPortWatch
{
    private readonly HypervisorEventSubscription _events;
    private readonly CancellationTokenSource _stop = new();

    public QmpAgentPortWatch(HypervisorEventSubscription events, string? portId)
    {
        _events = events;
        Closed = portId is null ? new TaskCompletionSource<string>().Task : WaitAsync(portId);
    }

    public Task<string> Closed { get; }

    private async Task<string> WaitAsync(string portId)
    {
        var e = await _events.WaitAsync(e => e.Name == "VSERPORT_CHANGE" && e.Data["id"]?.GetValue<string>() == portId && e.Data["open"]?.GetValue<bool>() == false, Timeout.InfiniteTimeSpan, _stop.Token).ConfigureAwait(false);
        // The subscription ends with the QMP connection: that says nothing about the agent.
        return e is null ? await new TaskCompletionSource<string>().Task.ConfigureAwait(false) : $"the guest closed the agent's port {portId} (VSERPORT_CHANGE): the agent stopped or died";
    }

    public void Dispose()
    {
        _stop.Cancel();
        _events.Dispose();
        _stop.Dispose();
    }
}
