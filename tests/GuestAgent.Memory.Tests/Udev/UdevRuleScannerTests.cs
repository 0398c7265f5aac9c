using GuestAgent.Memory.Udev;
using GuestAgent.TestSupport;

namespace GuestAgent.Memory.Tests.Udev;

public class UdevRuleScannerTests
{
    private const string RedHatSection = """
        # Memory hotadd request
        SUBSYSTEM!="memory", GOTO="memory_hotplug_end"
        ACTION!="add", GOTO="memory_hotplug_end"
        ENV{.state}="online"
        ATTR{state}=="offline", ATTR{state}="$env{.state}"
        LABEL="memory_hotplug_end"
        """;

    [Fact]
    public void RulesThatOnlineMemoryAreFoundInUdevsOrderAndEtcHidesUsrLib()
    {
        using var etc = new TemporaryDirectory();
        using var lib = new TemporaryDirectory();
        File.WriteAllText(Path.Combine(lib.Path, "40-redhat.rules"), RedHatSection);
        File.WriteAllText(Path.Combine(lib.Path, UdevRuleDirectories.OwnRuleName), "# ours\n");
        File.WriteAllText(Path.Combine(lib.Path, "50-other.rules"), "SUBSYSTEM==\"net\", ATTR{mtu}=\"9000\"\n");
        File.WriteAllText(Path.Combine(lib.Path, "60-masked.rules"), RedHatSection);
        File.WriteAllText(Path.Combine(etc.Path, "60-masked.rules"), ""); // masks the one in lib, as a link to /dev/null does
        File.WriteAllText(Path.Combine(etc.Path, "20-early.rules"), "SUBSYSTEM==\"memory\", ACTION==\"add\", ATTR{state}=\"online\"\n");

        var rules = new UdevRuleScanner(new UdevRuleDirectories([etc.Path, Path.Combine(etc.Path, "missing"), lib.Path])).Scan();

        Assert.Equal(["20-early.rules", UdevRuleDirectories.OwnRuleName, "40-redhat.rules"], rules.Select(r => r.Name));
        Assert.True(rules[1].IsOwn);
        Assert.Equal(Path.Combine(lib.Path, "40-redhat.rules"), rules[2].Path);
    }

    /// <summary>Issue 24: a rules file the agent cannot read is reported as such, not taken for one that onlines nothing.</summary>
    [Fact]
    public void AnUnreadableRulesFileIsReportedNotSkipped()
    {
        using var etc = new TemporaryDirectory();
        File.CreateSymbolicLink(Path.Combine(etc.Path, "30-gone.rules"), Path.Combine(etc.Path, "missing", "target.rules"));

        var rules = new UdevRuleScanner(new UdevRuleDirectories([etc.Path])).Scan();
        var hazards = GuestAgent.Memory.Capacity.UnplugHazardEvaluator.Evaluate(GuestAgent.Memory.Model.MemorySnapshot.Empty(new GuestAgent.Memory.Model.HotplugSettings(), []), TestCapacity.Plenty(), rules, null);

        var rule = Assert.Single(rules);
        Assert.Equal(("30-gone.rules", "it cannot be read"), (rule.Name, rule.Unreadable));
        Assert.Contains(hazards, h => h.Subject == "udev" && h.Message.StartsWith($"{rule.Path} could not be read (it cannot be read): whether it onlines hot-added memory", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("ATTR{state}==\"offline\", GOTO=\"x\"\nSUBSYSTEM==\"memory\"", false)]
    [InlineData("# SUBSYSTEM==\"memory\", ATTR{state}=\"online\"", false)]
    [InlineData("SUBSYSTEM==\"memory\", ATTR{state}:=\"online_movable\"", true)]
    public void OnlyAssignmentsOfStateForMemoryCount(string text, bool onlines) => Assert.Equal(onlines, UdevRuleClassifier.OnlinesMemory(text));
}
