using System.Globalization;
using System.Text.Json.Nodes;
using GuestAgent.Host.Agent;
using GuestAgent.Host.Hypervisor;

namespace GuestAgent.Host.Cli;

/// <summary><c>watch</c>: the hypervisor's and the guest's events as they come, one line each, until stopped or the hypervisor goes away.</summary>
public sealed class EventWatcher(TextWriter output, bool json)
{
    private readonly Lock _write = new();

    public async Task<int> RunAsync(Hypervisor.IHypervisor hypervisor, AgentLink? agent, CancellationToken cancellationToken)
    {
        var source = hypervisor.EventSource;
        using var hypervisorEvents = hypervisor.SubscribeEvents();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var guest = agent is null
            ? Task.CompletedTask
            : PumpAsync("guest", agent.Events.ReadAllAsync(stop.Token).Select(HypervisorEvent.From));
        try
        {
            await PumpAsync(source, hypervisorEvents.Events.ReadAllAsync(stop.Token)).ConfigureAwait(false);
            Write(source, "CONNECTION_CLOSED", [], DateTimeOffset.UtcNow);
            return ExitCodes.Ok;
        }
        catch (OperationCanceledException)
        {
            return ExitCodes.Ok;
        }
        finally
        {
            // The hypervisor gone or stopped by the user: the guest's side ends with it.
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await guest.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }
        }
    }

    private async Task PumpAsync(string source, IAsyncEnumerable<HypervisorEvent> events)
    {
        await foreach (var e in events.ConfigureAwait(false))
        {
            Write(source, e.Name, e.Data, e.Timestamp);
        }
    }

    private void Write(string source, string name, JsonObject data, DateTimeOffset time)
    {
        lock (_write)
        {
            if (json)
            {
                var line = new JsonObject { ["source"] = source, ["event"] = name, ["data"] = data.DeepClone(), ["time"] = time.ToString("O", CultureInfo.InvariantCulture) };
                output.WriteLine(line.ToJsonString());
            }
            else
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{time.ToLocalTime():HH:mm:ss.fff} {source,-5} {name} {data.ToJsonString()}"));
            }

            output.Flush();
        }
    }
}
