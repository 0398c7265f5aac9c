using System.Text.Json.Nodes;

namespace GuestAgent.Host.Hypervisor;

/// <summary>
/// An asynchronous event: <c>{"event", "data", "timestamp": {"seconds", "microseconds"}}</c>, QMP's shape, which the
/// guest agent's protocol shares.
/// </summary>
public sealed record HypervisorEvent(string Name, JsonObject Data, DateTimeOffset Timestamp)
{
    public static HypervisorEvent From(JsonObject message)
    {
        var seconds = message["timestamp"]?["seconds"]?.GetValue<long>() ?? 0;
        var microseconds = message["timestamp"]?["microseconds"]?.GetValue<long>() ?? 0;
        return new HypervisorEvent(
            message["event"]?.GetValue<string>() ?? "",
            message["data"] as JsonObject ?? [],
            DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(microseconds * 10));
    }
}
