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

    [Theory]
    [InlineData("ATTR{state}==\"offline\", GOTO=\"x\"\nSUBSYSTEM==\"memory\"", false)]
    [InlineData("# SUBSYSTEM==\"memory\", ATTR{state}=\"online\"", false)]
    [InlineData("SUBSYSTEM==\"memory\", ATTR{state}:=\"online_movable\"", true)]
    public void OnlyAssignmentsOfStateForMemoryCount(string text, bool onlines) => Assert.Equal(onlines, UdevRuleClassifier.OnlinesMemory(text));
}
