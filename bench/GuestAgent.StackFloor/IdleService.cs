using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Hosting;

namespace GuestAgent.StackFloor;

/// <summary>Logs once, gives its start-up garbage back as the agent does, says so on stdout, and idles.</summary>
public sealed class IdleService(FloorOptions options, ILogger<IdleService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        logger.LogInformation("Stack floor started, policy {Policy}", options.Policy);
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        await Console.Out.WriteLineAsync("READY").ConfigureAwait(false);
        await Console.Out.FlushAsync(stoppingToken).ConfigureAwait(false);
        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
