using GuestAgent.Host.State;

namespace GuestAgent.Host.Workflows;

/// <summary>The VM's QMP monitor is held by another controller (QEMU serves one client per monitor): who, and doing what.</summary>
public sealed class MonitorHeldException(LockHolder holder, string message, Exception? inner = null) : Exception(message, inner)
{
    public LockHolder Holder { get; } = holder;
}
