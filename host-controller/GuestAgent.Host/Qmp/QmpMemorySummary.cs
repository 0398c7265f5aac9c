namespace GuestAgent.Host.Qmp;

/// <summary><c>query-memory-size-summary</c>: boot memory and memory in devices, in bytes.</summary>
public sealed record QmpMemorySummary(long BaseMemory, long PluggedMemory);
