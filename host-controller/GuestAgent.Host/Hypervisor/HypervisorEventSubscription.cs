using System.Threading.Channels;

namespace GuestAgent.Host.Hypervisor;

/// <summary>Events from the moment of subscribing, in order, until disposed or the connection ends.</summary>
public sealed class HypervisorEventSubscription : IDisposable
{
    private readonly Action<HypervisorEventSubscription> _unsubscribe;
    private readonly Channel<HypervisorEvent> _events = Channel.CreateUnbounded<HypervisorEvent>(new UnboundedChannelOptions { SingleReader = true });

    internal HypervisorEventSubscription(Action<HypervisorEventSubscription> unsubscribe) => _unsubscribe = unsubscribe;

    public ChannelReader<HypervisorEvent> Events => _events.Reader;

    internal void Deliver(HypervisorEvent e) => _events.Writer.TryWrite(e);

    internal void Complete() => _events.Writer.TryComplete();

    /// <summary>The next event matching <paramref name="match"/>; null when the time is up (on <paramref name="time"/>'s clock) or the connection ended.</summary>
    public async Task<HypervisorEvent?> WaitAsync(Func<HypervisorEvent, bool> match, TimeSpan limit, CancellationToken cancellationToken, TimeProvider? time = null)
    {
        using var timer = new CancellationTokenSource(limit, time ?? TimeProvider.System);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        try
        {
            while (await _events.Reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false))
            {
                while (_events.Reader.TryRead(out var e))
                {
                    if (match(e))
                    {
                        return e;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Time is up.
        }

        return null;
    }

    public void Dispose()
    {
        _unsubscribe(this);
        Complete();
    }
}
