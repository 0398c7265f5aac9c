namespace GuestAgent.Memory.Udev;

/// <summary>Finds the rules files that online hot-added memory, in the order udev runs them. Unreadable files and directories are skipped.</summary>
public sealed class UdevRuleScanner(UdevRuleDirectories directories)
{
    public IReadOnlyList<UdevRule> Scan()
    {
        var seen = new SortedDictionary<string, string>(StringComparer.Ordinal);
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
                // Not readable by the agent: nothing to report from there.
            }
        }

        var rules = new List<UdevRule>();
        foreach (var (name, path) in seen)
        {
            var own = name == UdevRuleDirectories.OwnRuleName;
            if (own || (TryRead(path) is { } text && UdevRuleClassifier.OnlinesMemory(text)))
            {
                rules.Add(new UdevRule(name, path, own));
            }
        }

        return rules;
    }

    private static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
