namespace GuestAgent.Cli;

/// <summary>Exit codes of the <c>guest-agent</c> command.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The command ran but something failed (e.g. no memory hotplug information, a write failed).</summary>
    public const int Failed = 1;

    /// <summary>Bad usage or invalid configuration.</summary>
    public const int Usage = 2;
}
