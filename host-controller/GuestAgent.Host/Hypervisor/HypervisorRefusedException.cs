namespace GuestAgent.Host.Hypervisor;

/// <summary>The hypervisor refused a request and nothing was changed (what it said is in the message).</summary>
public sealed class HypervisorRefusedException(string message, Exception? inner = null) : Exception(message, inner);
