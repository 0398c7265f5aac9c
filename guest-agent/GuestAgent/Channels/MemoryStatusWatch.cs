using Microsoft.Extensions.Logging;

namespace GuestAgent.Channels;

/// <summary>
/// One connection's <c>watch-memory</c>: a status at once and then one every interval (on the session's
/// <see cref="TimeProvider"/>) until the interval is set to 0, the peer says <c>hello</c> again (a new host), or the
/// connection ends. A status that cannot be built is logged once and skipped; the watch goes on.
/// </summary>
public sealed class MemoryStatusWatch(Func<byte[]> status, Action<byte[]> send, TimeProvider time, ILogger logger) : IAsyncDisposable
{
    public const int DefaultIntervalMs = 1000;
    public const int MinimumIntervalMs = 200;
    public const int MaximumIntervalMs = 60_000;

    private readonly Lock _lock = new();
    private CancellationTokenSource? _running;
    private Task _loop = Task.CompletedTask;
    private bool _failureLogged;

    /// <summary>The interval in force, in milliseconds; 0 when not watching.</summary>
    public int IntervalMs { get; private set; }

    /// <summary>Why <paramref name="intervalMs"/> cannot be used, for people; null when it can.</summary>
    public static string? Problem(int intervalMs) =>
        intervalMs == 0 || intervalMs is >= MinimumIntervalMs and <= MaximumIntervalMs
            ? null
            : $"\"interval-ms\" must be 0 (stop) or from {MinimumIntervalMs} to {MaximumIntervalMs}";

    /// <summary>Starts watching every <paramref name="intervalMs"/> (replacing any earlier watch), or stops with 0.</summary>
    public void Set(int intervalMs)
    {
        lock (_lock)
        {
            _running?.Cancel();
            _running?.Dispose();
            _running = null;
            IntervalMs = intervalMs;
            if (intervalMs == 0)
            {
                return;
            }

            var stop = _running = new CancellationTokenSource();
            var previous = _loop;
            _loop = Task.Run(async () =>
            {
                await previous.ConfigureAwait(false);
                await RunAsync(TimeSpan.FromMilliseconds(intervalMs), stop.Token).ConfigureAwait(false);
            });
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task loop;
        lock (_lock)
        {
            _running?.Cancel();
            _running?.Dispose();
            _running = null;
            IntervalMs = 0;
            loop = _loop;
        }

        await loop.ConfigureAwait(false);
    }

    private async Task RunAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        try
        {
            using var timer = new PeriodicTimer(interval, time);
            do
            {
                Send();
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped, replaced, or the connection ended.
        }
    }

    private void Send()
    {
        byte[] line;
        try
        {
            line = status();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            if (!_failureLogged)
            {
                _failureLogged = true;
                logger.LogWarning("cannot build the memory status for a watching host: {Reason} (told once; the watch goes on)", e.Message);
            }

            return;
        }

        send(line);
    }
}
