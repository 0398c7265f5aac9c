namespace GuestAgent.Host.Autoscale;

/// <summary>One memory device of the VM for a decision: the hypervisor's id, its size, and the id the guest reports it under (null when the guest does not see it).</summary>
public sealed record VmDevice(string Id, long Size, string? GuestId);
