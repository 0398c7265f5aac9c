using GuestAgent.Protocol.Model;

namespace GuestAgent.Protocol.Payloads;

/// <summary>Sent first on every connection: who the agent is and the whole current model.</summary>
public sealed record AgentReadyData
{
    public required HelloReturn Agent { get; init; }

    public required ModelReport Model { get; init; }

    /// <summary>Seconds since the agent process started (small right after a restart).</summary>
    public required long UptimeSeconds { get; init; }
}
