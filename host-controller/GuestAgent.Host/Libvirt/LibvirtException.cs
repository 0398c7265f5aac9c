namespace GuestAgent.Host.Libvirt;

/// <summary>A libvirt call failed; the message is libvirt's own, after what was being done.</summary>
public sealed class LibvirtException(string message, Exception? inner = null) : Exception(message, inner);
