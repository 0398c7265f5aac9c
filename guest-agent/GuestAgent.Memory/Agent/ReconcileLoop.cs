using System.Threading.Channels;
using GuestAgent.Memory.Sysfs;
using GuestAgent.Memory.Uevents;
using Microsoft.Extensions.Logging;

namespace GuestAgent.Memory.Agent;

/// <summary>
/// When the agent reconciles: on kernel uevents (coalesced over a settle delay, since a DIMM's blocks arrive one by
/// one), on a periodic resync (the safety net for lost events), on a full rescan after a uevent overflow, and on
/// request. Requests made while one is pending are merged. <see cref="IsAlive"/> tells a watchdog whether the loop is
/// turning (idle, or in a turn that started recently), not merely whether the process runs.
/// </summary>
public sealed class ReconcileLoop(TimeSpan settleDelay, TimeSpan resyncInterval, TimeProvider time, ILogger logger)
{
    private readonly Channel<string> _triggers = Channel.CreateBounded<string>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    private long _turnStarted;

    /// <summary>Asks for a reconcile soon (merged with any already pending).</summary>
    public void Request(string reason) => _triggers.Writer.TryWrite(reason);

    /// <summary>Asks for a reconcile after <paramref name="delay"/>.</summary>
    public void RequestAfter(TimeSpan delay, string reason) =>
        _ = Task.Delay(delay, time).ContinueWith(_ => Request(reason), TaskScheduler.Default);

    /// <summary>Idle, or in a turn that started less than <paramref name="within"/> ago.</summary>
    public bool IsAlive(TimeSpan within)
    {
        var started = Interlocked.Read(ref _turnStarted);
        return started == 0 || time.GetElapsedTime(started) < within;
    }

    /// <summary>Runs until cancelled, calling <paramref name="reconcile"/> with the reason of each turn.</summary>
    public async Task RunAsync(IUeventSource uevents, Func<string, CancellationToken, Task> reconcile, CancellationToken cancellationToken)
    {
        var pump = PumpUeventsAsync(uevents, cancellationToken);
        var resync = ResyncAsync(cancellationToken);
        try
        {
            while (await _triggers.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                Interlocked.Exchange(ref _turnStarted, time.GetTimestamp());
                try
                {
                    if (settleDelay > TimeSpan.Zero)
                    {
                        await Task.Delay(settleDelay, time, cancellationToken).ConfigureAwait(false);
                    }

                    _triggers.Reader.TryRead(out var reason);
                    await reconcile(reason ?? "event", cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogError(e, "Reconcile failed; the next event or resync tries again");
                }
                finally
                {
                    Interlocked.Exchange(ref _turnStarted, 0);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }

        await Task.WhenAll(pump, resync).ConfigureAwait(false);
    }

    private async Task PumpUeventsAsync(IUeventSource uevents, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var uevent in uevents.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (uevent.IsOverflow)
                {
                    logger.LogWarning("Kernel uevents were lost (receive buffer overflow); rescanning everything");
                    Request("uevent overflow");
                }
                else if (uevent.IsMemoryBlock(out var blockId))
                {
                    logger.LogDebug("uevent {Action} {Block}", uevent.Action, MemoryBlockName.Format(blockId));
                    Request($"uevent {uevent.Action} {MemoryBlockName.Format(blockId)}");
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task ResyncAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(resyncInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                Request("periodic resync");
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}
