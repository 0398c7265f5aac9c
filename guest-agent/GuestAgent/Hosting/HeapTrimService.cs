using GuestAgent.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GuestAgent.Hosting;

/// <summary>
/// The agent idles for hours between short bursts of work (start-up, a host's requests, a DIMM's uevents), and the GC
/// keeps the heap a burst grew to. Once the channels are served, and then whenever a quiet interval follows at least
/// <see cref="Threshold"/> of new allocations, one compacting collection that gives the freed memory back to the system
/// (<see cref="GCCollectionMode.Aggressive"/>) brings the resident size back to what the agent really holds. Nothing
/// runs while the agent allocates nothing.
/// </summary>
public sealed class HeapTrimService(ChannelService channels, TimeProvider time, ILogger<HeapTrimService> logger) : BackgroundService
{
    /// <summary>New allocations since the last trim that make the next quiet interval trim.</summary>
    public const long Threshold = 4 << 20;

    /// <summary>How often to look; a trim happens only in an interval with no new allocation beyond the threshold's worth.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await channels.Serving.WaitAsync(stoppingToken).ConfigureAwait(false);
            Trim("start-up");
            var trimmedAt = GC.GetTotalAllocatedBytes();
            var previous = trimmedAt;
            using var timer = new PeriodicTimer(Interval, time);
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var now = GC.GetTotalAllocatedBytes();
                var busy = now - previous > Threshold / 4;
                previous = now;
                if (!busy && now - trimmedAt >= Threshold)
                {
                    Trim("after a burst of work");
                    trimmedAt = previous = GC.GetTotalAllocatedBytes();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private void Trim(string when)
    {
        var before = GC.GetTotalMemory(forceFullCollection: false); // GetGCMemoryInfo describes the last collection, not now
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        logger.LogDebug("Heap trimmed {When}: {Before} -> {After} bytes", when, before, GC.GetGCMemoryInfo().HeapSizeBytes);
    }
}
