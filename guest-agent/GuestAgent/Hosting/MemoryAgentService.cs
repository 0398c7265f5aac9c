using GuestAgent.Memory.Agent;
using GuestAgent.Memory.Uevents;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GuestAgent.Hosting;

/// <summary>Runs the <see cref="MemoryAgent"/> for the life of the host, fed by kernel uevents.</summary>
public sealed class MemoryAgentService(MemoryAgent agent, Func<IUeventSource> openUevents, ILogger<MemoryAgentService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        IUeventSource uevents;
        try
        {
            uevents = openUevents();
        }
        catch (IOException e)
        {
            logger.LogWarning("No kernel uevents ({Reason}); new memory is found by the periodic resync only", e.Message);
            uevents = new IdleUeventSource();
        }

        try
        {
            logger.LogInformation("Memory agent starting, policy {Policy}", agent.Policy);
            await agent.RunAsync(uevents, stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            (uevents as IDisposable)?.Dispose();
            logger.LogInformation("Memory agent stopped");
        }
    }
}
