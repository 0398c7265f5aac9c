namespace GuestAgent.Host.Qmp;

/// <summary>The QMP connection failed or the peer is not QEMU.</summary>
/// <param name="message">What happened, for people.</param>
/// <param name="inner">The cause.</param>
/// <param name="silent">The socket accepted the connection but QEMU said nothing: not QEMU, or another client has the monitor.</param>
public sealed class QmpException(string message, Exception? inner = null, bool silent = false) : Exception(message, inner)
{
    /// <summary>Connected, but no greeting came (QEMU serves one client per monitor and greets the next when it leaves).</summary>
    public bool Silent { get; } = silent;
}
