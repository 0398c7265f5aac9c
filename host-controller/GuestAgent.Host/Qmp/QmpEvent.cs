using System.Text.Json.Nodes;

namespace GuestAgent.Host.Qmp;

/// <summary>An asynchronous QMP event: <c>{"event", "data", "timestamp"}</c>.</summary>
public sealed record QmpEvent(string Name, JsonObject Data, DateTimeOffset Timestamp)
{
    public string Json { get; init; } = "";

    public static QmpEvent From(JsonObject message)
    {
        var seconds = message["timestamp"]?["seconds"]?.GetValue<long>() ?? 0;
        var microseconds = message["timestamp"]?["microseconds"]?.GetValue<long>() ?? 0;
        return new QmpEvent(
            message["event"]?.GetValue<string>() ?? "",
            message["data"] as JsonObject ?? [],
            DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(microseconds * 10))
        {
            Json = message.ToJsonString(),
        };
    }
}
