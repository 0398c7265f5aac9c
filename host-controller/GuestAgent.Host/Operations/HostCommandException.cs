namespace GuestAgent.Host.Operations;

/// <summary>A command could not do what was asked; the message says why and what state things are in (exit code 1).</summary>
public sealed class HostCommandException(string message, Exception? inner = null) : Exception(message, inner);
