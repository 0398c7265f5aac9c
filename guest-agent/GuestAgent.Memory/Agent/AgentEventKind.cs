namespace GuestAgent.Memory.Agent;

/// <summary>What the agent reports on its own (the protocol names are in docs/protocol.md).</summary>
public enum AgentEventKind
{
    BlockAdded,
    BlockOnlined,
    BlockOfflined,
    BlockRemoved,
    DimmReadinessChanged,
    PrepareUnplugFinished,
    CancelUnplugFinished,
    MakeMovableFinished,
    PolicyChanged,
}
