using GuestAgent.Host.Hypervisor;
using GuestAgent.Host.Planning;

namespace GuestAgent.Host.Autoscale;

/// <summary>The VM as its hypervisor said at <see cref="At"/>: which VM, its memory and limits, its side of a migration, its agent channel.</summary>
public sealed record VmReading(VmIdentity Identity, HypervisorMemory Memory, VmLimits Limits, MigrationState Migration, string? AgentPath, string? NoAgentChannel, DateTimeOffset At);
