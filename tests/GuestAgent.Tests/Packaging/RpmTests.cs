using System.Text.Json;
using GuestAgent.Protocol.Model;
using GuestAgent.TestSupport;

namespace GuestAgent.Tests.Packaging;

/// <summary>
/// The RPM built by <c>scripts/rpm.sh</c> with Debian's rpmbuild: its file list, requirements, configuration files and
/// scripts, rpmlint, the packaged (self-contained, trimmed) binary actually running, and install → upgrade → erase in a
/// private rpm root keeping what a user changed.
/// </summary>
public sealed class RpmTests(RpmPackages rpm) : IClassFixture<RpmPackages>
{
    private static async Task<string> QueryAsync(string package, params string[] query)
    {
        var (code, output) = await PackagingTools.RunAsync("/usr/bin/rpm", ["-qp", .. query, package], TimeSpan.FromMinutes(1));
        Assert.True(code == 0, output);
        return output;
    }

    [Fact]
    public async Task InstallsTheBinaryUnitRuleAndConfigurationWhereRhelExpectsThem()
    {
        var files = (await QueryAsync(rpm.First, "-l")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var config = (await QueryAsync(rpm.First, "--configfiles")).Trim();

        Assert.Equal(
            [
                "/etc/guest-agent", "/etc/guest-agent/guest-agent.json", "/usr/bin/guest-agent",
                "/usr/lib/systemd/system-preset/80-guest-agent.preset", "/usr/lib/systemd/system/guest-agent.service", "/usr/lib/udev/rules.d/39-guest-agent-memory.rules",
                "/usr/libexec/guest-agent", "/usr/libexec/guest-agent/guest-agent", "/usr/libexec/guest-agent/libMonoPosixHelper.so",
                "/usr/share/dbus-1/system.d/org.guestagent.Memory1.conf",
                "/usr/share/doc/guest-agent-0.1.0", "/usr/share/doc/guest-agent-0.1.0/README.md",
                "/usr/share/doc/guest-agent-0.1.0/model.md", "/usr/share/doc/guest-agent-0.1.0/protocol.md",
                "/usr/share/licenses/guest-agent-0.1.0", "/usr/share/licenses/guest-agent-0.1.0/LICENSE",
            ],
            files.Order(StringComparer.Ordinal));
        Assert.Equal("/etc/guest-agent/guest-agent.json", config);
        Assert.Equal(
            File.ReadAllText(Path.Combine(PackagingTools.RepositoryRoot(), "systemd", "guest-agent.service")),
            File.ReadAllText(Path.Combine(rpm.Unpacked.Path, "usr/lib/systemd/system/guest-agent.service")));
    }

    [Fact]
    public async Task ItIsLicensedApache20AndShipsTheLicence()
    {
        Assert.Equal("Apache-2.0", (await QueryAsync(rpm.First, "--queryformat", "%{LICENSE}")).Trim());
        Assert.Equal(
            File.ReadAllText(Path.Combine(PackagingTools.RepositoryRoot(), "LICENSE")),
            File.ReadAllText(Path.Combine(rpm.Unpacked.Path, "usr/share/licenses/guest-agent-0.1.0/LICENSE")));
    }

    [Fact]
    public async Task NeedsNoDotnetRuntimeOnTheGuest()
    {
        var requires = (await QueryAsync(rpm.First, "--requires")).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.DoesNotContain(requires, r => r.Contains("dotnet", StringComparison.OrdinalIgnoreCase) || r.Contains("libicu", StringComparison.Ordinal) || r.Contains("libssl", StringComparison.Ordinal));
        Assert.Contains("systemd", requires);
        Assert.Contains(requires, r => r.StartsWith("libc.so.6", StringComparison.Ordinal));
    }

    [Fact]
    public void RpmlintIsCleanAndEveryFilterSaysWhy()
    {
        Assert.Contains("0 errors, 0 warnings", rpm.LintReport, StringComparison.Ordinal);
        var lines = File.ReadAllLines(Path.Combine(PackagingTools.RepositoryRoot(), "rpm", "rpmlintrc"));
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith("addFilter", StringComparison.Ordinal))
            {
                Assert.True(i > 0 && lines[i - 1].StartsWith('#'), $"rpmlintrc line {i + 1} has no reason above it");
            }
        }
    }

    [Theory]
    [InlineData("POSTIN", "1", "systemctl --no-reload preset guest-agent.service|udevadm control --reload")]
    [InlineData("POSTIN", "2", "udevadm control --reload")]
    [InlineData("PREUN", "0", "systemctl --no-reload disable --now guest-agent.service")]
    [InlineData("PREUN", "1", "")]
    [InlineData("POSTUN", "1", "systemctl daemon-reload|systemctl try-restart guest-agent.service|udevadm control --reload")]
    [InlineData("POSTUN", "0", "systemctl daemon-reload|udevadm control --reload")]
    public async Task ScriptsTellInstallUpgradeAndRemovalApart(string scriptlet, string argument, string expectedCalls)
    {
        using var bin = new TemporaryDirectory();
        var log = Path.Combine(bin.Path, "calls");
        foreach (var tool in new[] { "systemctl", "udevadm" })
        {
            var fake = Path.Combine(bin.Path, tool);
            await File.WriteAllTextAsync(fake, $"#!/bin/sh\necho \"{tool} $*\" >> {log}\n", TestContext.Current.CancellationToken);
            File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var script = await QueryAsync(rpm.First, "--qf", $"%{{{scriptlet}}}");
        var (code, output) = await PackagingTools.RunAsync("/bin/sh", "-c", $"PATH={bin.Path}:/usr/bin:/bin; set -- {argument}; {script}");

        Assert.True(code == 0, output);
        var calls = File.Exists(log) ? string.Join('|', File.ReadAllLines(log)) : "";
        Assert.Equal(expectedCalls, calls);
    }

    [Fact]
    public async Task ThePackagedBinaryScansAndRunsUnderSystemdNotify()
    {
        var binary = Path.Combine(rpm.Unpacked.Path, "usr", "bin", "guest-agent");
        using var tree = new FakeSysfsTree();
        tree.AddBootMemory(8).AddDimm(0, 32, 2);
        using var runtime = new TemporaryDirectory();

        using (var scan = AgentProcess.StartExecutable(binary, ["scan", "--json", "--sysfs-root", tree.RootPath, "--runtime-dir", runtime.Path]))
        {
            Assert.Equal(0, await scan.WaitAsync(TimeSpan.FromMinutes(1)));
            var model = JsonSerializer.Deserialize(scan.Stdout, ModelJsonContext.Default.ModelReport)!;
            Assert.Equal("slot0", model.Dimms.Single(d => d.Kind == "acpi").Id);
        }

        using var notify = new NotifySocket();
        using var agent = AgentProcess.StartUnderSystemd(
            ["run", "--config", Path.Combine(rpm.Unpacked.Path, "etc", "guest-agent", "guest-agent.json"), "--sysfs-root", tree.RootPath, "--runtime-dir", runtime.Path],
            new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notify.Address },
            binary);
        await Eventually.TrueAsync(() => notify.Messages.Contains("READY=1"), "READY=1 from the packaged binary", TimeSpan.FromSeconds(60));
        agent.Terminate();

        Assert.Equal(0, await agent.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("online_movable", tree.ReadState(32));
    }

    [Fact]
    public async Task AnUpgradeKeepsAChangedConfigurationAndRemovalSavesIt()
    {
        using var root = new TemporaryDirectory();
        async Task Rpm(params string[] args)
        {
            var (code, output) = await PackagingTools.RunAsync("/usr/bin/rpm", ["--root", root.Path, .. args], TimeSpan.FromMinutes(1));
            Assert.True(code == 0, output);
        }

        var config = Path.Combine(root.Path, "etc", "guest-agent", "guest-agent.json");
        await Rpm("--initdb");
        await Rpm("-i", "--nodeps", "--noscripts", rpm.First);
        await File.WriteAllTextAsync(config, """{ "Memory": { "Policy": "auto-movable" } }""", TestContext.Current.CancellationToken);
        await Rpm("-U", "--nodeps", "--noscripts", rpm.Second);

        Assert.Contains("auto-movable", await File.ReadAllTextAsync(config, TestContext.Current.CancellationToken));
        Assert.True(File.Exists(Path.Combine(root.Path, "usr", "libexec", "guest-agent", "guest-agent")));

        await Rpm("-e", "--nodeps", "--noscripts", "guest-agent");

        Assert.False(File.Exists(Path.Combine(root.Path, "usr", "libexec", "guest-agent", "guest-agent")));
        Assert.Contains("auto-movable", await File.ReadAllTextAsync(config + ".rpmsave", TestContext.Current.CancellationToken));
    }
}
