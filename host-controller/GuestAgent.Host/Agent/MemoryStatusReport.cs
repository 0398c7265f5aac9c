using GuestAgent.Protocol.Payloads;

namespace GuestAgent.Host.Agent;

/// <summary>One <c>MEMORY_STATUS</c> from the agent and when it arrived (the host's clock).</summary>
public sealed record MemoryStatusReport(MemoryStatusData Status, DateTimeOffset At);
