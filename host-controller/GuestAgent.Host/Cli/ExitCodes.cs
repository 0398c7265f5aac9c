namespace GuestAgent.Host.Cli;

/// <summary>Exit codes of <c>guest-agent-host</c>.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The command could not do what was asked (QEMU or the guest refused, a limit, a timeout); the message says what state things are in.</summary>
    public const int Failed = 1;

    /// <summary>Bad usage: an unparsable size, a missing option.</summary>
    public const int Usage = 2;
}
