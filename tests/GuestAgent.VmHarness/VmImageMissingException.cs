namespace GuestAgent.VmHarness;

/// <summary>No kernel/initramfs from <c>tests/vm/prepare.sh</c> was found.</summary>
public sealed class VmImageMissingException(string message) : Exception(message);
