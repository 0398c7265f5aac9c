using GuestAgent.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GuestAgent.Hosting;

/// <summary>
/// Start-up (configuration, the host, the first scan of every block) leaves a few MiB of garbage behind, and the agent
/// then idles for hours. Once the channels are served, one compacting collection that gives the freed memory back to
/// the system (<see cref="GCCollectionMode.Aggressive"/>) keeps the resident size to what the agent really holds.
/// </summary>
public sealed class StartupHeapTrimService(ChannelService channels, ILogger<StartupHeapTrimService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await channels.Serving.WaitAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        var before = GC.GetTotalMemory(forceFullCollection: false); // GetGCMemoryInfo describes the last collection, not now
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        logger.LogDebug("Start-up garbage collected: heap {Before} -> {After} bytes", before, GC.GetGCMemoryInfo().HeapSizeBytes);
    }
}
