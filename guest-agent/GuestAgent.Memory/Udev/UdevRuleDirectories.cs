namespace GuestAgent.Memory.Udev;

/// <summary>
/// Where udev reads rules from, highest priority first: a file in an earlier directory hides one of the same name in
/// a later one, and all files run in the order of their names. Tests point it at temporary directories.
/// </summary>
public sealed record UdevRuleDirectories(IReadOnlyList<string> Paths)
{
    public static UdevRuleDirectories Default { get; } = new(["/etc/udev/rules.d", "/run/udev/rules.d", "/usr/lib/udev/rules.d", "/lib/udev/rules.d"]);

    /// <summary>The file name of this project's drop-in.</summary>
    public const string OwnRuleName = "39-guest-agent-memory.rules";
}
