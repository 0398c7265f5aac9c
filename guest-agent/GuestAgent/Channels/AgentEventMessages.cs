using GuestAgent.Memory.Agent;
using GuestAgent.Protocol;
using GuestAgent.Protocol.Messages;
using GuestAgent.Protocol.Payloads;
using GuestAgent.Reporting;

namespace GuestAgent.Channels;

/// <summary>Pure: the protocol event for an agent event.</summary>
public static class AgentEventMessages
{
    public static byte[] ToMessage(AgentEvent e, MemoryAgentView view, DateTimeOffset time) => e.Kind switch
    {
        AgentEventKind.BlockAdded => Block(EventNames.BlockAdded, e, time),
        AgentEventKind.BlockOnlined => Block(EventNames.BlockOnlined, e, time),
        AgentEventKind.BlockOfflined => Block(EventNames.BlockOfflined, e, time),
        AgentEventKind.BlockRemoved => Block(EventNames.BlockRemoved, e, time),
        AgentEventKind.DimmReadinessChanged => ProtocolMessages.Event(
            EventNames.DimmReadinessChanged,
            new ReadinessEventData
            {
                Dimm = e.Subject,
                Slot = view.Snapshot.FindDimmById(e.Subject)?.Slot,
                Readiness = ModelReportBuilder.Format(e.Readiness!.State),
                Reason = e.Readiness.Reason,
            },
            ProtocolJsonContext.Default.ReadinessEventData,
            time),
        AgentEventKind.PrepareUnplugFinished or AgentEventKind.CancelUnplugFinished or AgentEventKind.MakeMovableFinished => ProtocolMessages.Event(
            e.Kind switch
            {
                AgentEventKind.PrepareUnplugFinished => EventNames.PrepareUnplugFinished,
                AgentEventKind.CancelUnplugFinished => EventNames.CancelUnplugFinished,
                _ => EventNames.MakeMovableFinished,
            },
            ModelReportBuilder.Operation(e.Operation!, view),
            ProtocolJsonContext.Default.OperationReturn,
            time),
        AgentEventKind.PolicyChanged => ProtocolMessages.Event(
            EventNames.PolicyChanged,
            new PolicyReturn
            {
                Policy = Memory.Policy.OnlinePolicyNames.Format(view.Policy.Kind),
                AutoMovableRatio = view.Policy.AutoMovableRatioPercent,
                NumaAware = view.Policy.NumaAware,
            },
            ProtocolJsonContext.Default.PolicyReturn,
            time),
        _ => throw new ArgumentOutOfRangeException(nameof(e), e.Kind, null),
    };

    private static byte[] Block(string name, AgentEvent e, DateTimeOffset time) =>
        ProtocolMessages.Event(name, new BlockEventData { Block = e.Subject, Zone = e.Zone }, ProtocolJsonContext.Default.BlockEventData, time);
}
