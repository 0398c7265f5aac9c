using System.Text.RegularExpressions;

namespace GuestAgent.Memory.Udev;

/// <summary>Pure: whether a rules file's text onlines memory: it matches the memory subsystem and assigns <c>ATTR{state}</c>.</summary>
public static partial class UdevRuleClassifier
{
    public static bool OnlinesMemory(string text)
    {
        var rules = string.Join('\n', text.Split('\n').Where(l => !l.TrimStart().StartsWith('#')));
        return MemorySubsystem().IsMatch(rules) && StateAssignment().IsMatch(rules);
    }

    [GeneratedRegex("""SUBSYSTEM\s*[!=]=\s*"memory"?""")]
    private static partial Regex MemorySubsystem();

    /// <summary><c>ATTR{state}="…"</c> or <c>ATTR{state}:="…"</c>, not the comparison <c>ATTR{state}=="…"</c>.</summary>
    [GeneratedRegex("""ATTR\{state\}\s*:?=(?!=)""")]
    private static partial Regex StateAssignment();
}
