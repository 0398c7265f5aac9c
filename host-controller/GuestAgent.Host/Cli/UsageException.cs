namespace GuestAgent.Host.Cli;

/// <summary>A command line that cannot be run as given (exit code 2), found before anything is connected.</summary>
public sealed class UsageException(string message, Exception? inner = null) : Exception(message, inner);
