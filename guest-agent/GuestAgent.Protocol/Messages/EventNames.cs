namespace GuestAgent.Protocol.Messages;

/// <summary>The events the agent sends on its own (docs/protocol.md).</summary>
public static class EventNames
{
    /// <summary>Sent first on every new connection: version, capabilities and the whole model (the state, sent again after a reconnect).</summary>
    public const string AgentReady = "AGENT_READY";

    public const string AgentStopping = "AGENT_STOPPING";
    public const string BlockAdded = "BLOCK_ADDED";
    public const string BlockOnlined = "BLOCK_ONLINED";
    public const string BlockOfflined = "BLOCK_OFFLINED";
    public const string BlockRemoved = "BLOCK_REMOVED";
    public const string DimmReadinessChanged = "DIMM_READINESS_CHANGED";
    public const string PrepareUnplugFinished = "PREPARE_UNPLUG_FINISHED";
    public const string CancelUnplugFinished = "CANCEL_UNPLUG_FINISHED";
    public const string MakeMovableFinished = "MAKE_MOVABLE_FINISHED";
    public const string PolicyChanged = "POLICY_CHANGED";

    /// <summary>Only to a connection that asked with <c>watch-memory</c>, every interval.</summary>
    public const string MemoryStatus = "MEMORY_STATUS";
}
