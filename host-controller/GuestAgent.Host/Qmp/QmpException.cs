namespace GuestAgent.Host.Qmp;

/// <summary>The QMP connection failed or the peer is not QEMU.</summary>
public sealed class QmpException(string message, Exception? inner = null) : Exception(message, inner);
