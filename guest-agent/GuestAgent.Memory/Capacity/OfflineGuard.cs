using Microsoft.Extensions.Logging;

namespace GuestAgent.Memory.Capacity;

/// <summary>
/// Watches the guest's memory while a DIMM is offlined and stops the offline (through its token) when
/// <see cref="OfflineStopRule"/> says so; <see cref="Reason"/> then says why. Reads <c>/proc/meminfo</c> and PSI a few
/// times a second; disposing it stops the watch.
/// </summary>
public sealed class OfflineGuard : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    private readonly CancellationTokenSource _stop;
    private readonly CancellationTokenSource _watch = new();
    private readonly Task _watching;

    /// <param name="reader">The kernel's accounting.</param>
    /// <param name="remainingOnlineBytes">How much of the DIMM is still online (the preparer's count).</param>
    /// <param name="reserveBytes"><c>Memory:UnplugReserve</c>.</param>
    /// <param name="force">The host forced the unplug: only pressure stops it.</param>
    /// <param name="pressureLimitPercent"><c>Memory:OfflinePressureLimit</c>.</param>
    /// <param name="window">The pressure window.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">Where a stop is logged.</param>
    /// <param name="cancellationToken">The operation's own cancellation, which the guard's token includes.</param>
    public OfflineGuard(CapacityReader reader, Func<long> remainingOnlineBytes, long reserveBytes, bool force, int pressureLimitPercent, TimeSpan window, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _watching = WatchAsync(reader, remainingOnlineBytes, reserveBytes, force, pressureLimitPercent, window, time, logger);
    }

    /// <summary>Cancelled when the offline must stop (or the operation was cancelled).</summary>
    public CancellationToken Token => _stop.Token;

    /// <summary>Why the guard stopped the offline; null when it did not.</summary>
    public string? Reason { get; private set; }

    private async Task WatchAsync(CapacityReader reader, Func<long> remaining, long reserve, bool force, int limit, TimeSpan window, TimeProvider time, ILogger logger)
    {
        var started = time.GetTimestamp();
        var readings = new List<PressureReading>();
        try
        {
            while (!_watch.IsCancellationRequested && !_stop.IsCancellationRequested)
            {
                readings.Add(new PressureReading(time.GetElapsedTime(started), reader.ReadAvailableBytes(), reader.ReadPressure()?.FullTotalMicroseconds));
                if (readings.Count > 256)
                {
                    readings.RemoveRange(0, 128);
                }

                if (OfflineStopRule.Check(readings, remaining(), reserve, force, limit, window) is { } reason)
                {
                    Reason = reason;
                    logger.LogWarning("Stopping the offline early: {Reason}", reason);
                    await _stop.CancelAsync().ConfigureAwait(false);
                    return;
                }

                await Task.Delay(Interval, time, _watch.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The offline ended.
        }
    }

    public void Dispose()
    {
        _watch.Cancel();
        try
        {
            _watching.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }

        _watch.Dispose();
        _stop.Dispose();
    }
}
