using GuestAgent.TestSupport;

namespace GuestAgent.Tests.Packaging;

/// <summary>
/// udev/39-guest-agent-memory.rules under `udevadm test` (no udevd needed). udevadm reads only the system rule folders,
/// so each run is a private mount namespace with the rule bind-mounted over /etc/udev/rules.d and a tmpfs /run holding
/// the daemon's file or not. udevadm exits 0 even for bad rules, so its output is checked. The event is an "add" of
/// this machine's memory0, which is online: the rule takes its branch but writes nothing.
/// </summary>
public sealed class UdevRuleTests : IDisposable
{
    private const string Udevadm = "/usr/bin/udevadm";
    private const string Unshare = "/usr/bin/unshare";
    private readonly TemporaryDirectory _rules = new();

    public UdevRuleTests() =>
        File.Copy(Path.Combine(PackagingTools.RepositoryRoot(), "udev", "39-guest-agent-memory.rules"), Path.Combine(_rules.Path, "39-guest-agent-memory.rules"));

    private async Task<string> TestAsync(string? daemonWord)
    {
        PackagingTools.Require(Udevadm, Unshare, "/sys/devices/system/memory/memory0/state");
        var marker = daemonWord is null ? "" : $"printf {daemonWord} > /run/guest-agent/onlining-active && ";
        var (code, output) = await PackagingTools.RunAsync(
            Unshare, "-m", "sh", "-c",
            $"mount --bind {_rules.Path} /etc/udev/rules.d && mount -t tmpfs tmpfs /run && mkdir -p /run/guest-agent && {marker}{Udevadm} test --action=add /devices/system/memory/memory0");
        Assert.True(code == 0, output);
        Assert.Contains("Reading rules file: /etc/udev/rules.d/39-guest-agent-memory.rules", output);
        Assert.DoesNotContain("39-guest-agent-memory.rules:", output.Replace("Reading rules file: /etc/udev/rules.d/39-guest-agent-memory.rules", "")); // no warning about any line
        return output;
    }

    [Fact]
    public async Task WithoutTheDaemonUdevOnlinesMovableItself() =>
        Assert.Contains("GUEST_AGENT_ONLINING=udev", await TestAsync(null));

    [Fact]
    public async Task WhileTheDaemonRunsItsWordIsUsed() =>
        Assert.Contains("GUEST_AGENT_ONLINING=daemon", await TestAsync("online_kernel"));

    public void Dispose() => _rules.Dispose();
}
