namespace GuestAgent.Memory.Udev;

/// <summary>
/// Finds the rules files that online hot-added memory, in the order udev runs them. A file or folder that cannot be read
/// is listed as such (<see cref="UdevRule.Unreadable"/>): a conflicting rule must not go unreported for being unreadable.
/// </summary>
public sealed class UdevRuleScanner(UdevRuleDirectories directories)
{
    public IReadOnlyList<UdevRule> Scan()
    {
        var seen = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var rules = new List<UdevRule>();
        foreach (var directory in directories.Paths)
        {
            try
            {
                if (!Directory.Exists(directory))
                {
                    continue;
                }

                foreach (var path in Directory.EnumerateFiles(directory, "*.rules"))
                {
                    seen.TryAdd(Path.GetFileName(path), path);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                rules.Add(new UdevRule(Path.GetFileName(directory), directory, false) { Unreadable = Plain(e) });
            }
        }

        foreach (var (name, path) in seen)
        {
            var own = name == UdevRuleDirectories.OwnRuleName;
            if (own)
            {
                rules.Add(new UdevRule(name, path, true));
                continue;
            }

            try
            {
                if (UdevRuleClassifier.OnlinesMemory(File.ReadAllText(path)))
                {
                    rules.Add(new UdevRule(name, path, false));
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                rules.Add(new UdevRule(name, path, false) { Unreadable = Plain(e) });
            }
        }

        return rules;
    }

    private static string Plain(Exception e) => e is UnauthorizedAccessException ? "permission denied" : "it cannot be read";
}
