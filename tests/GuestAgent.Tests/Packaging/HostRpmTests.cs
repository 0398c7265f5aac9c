using GuestAgent.TestSupport;

namespace GuestAgent.Tests.Packaging;

/// <summary>
/// The guest-agent-host RPM built by <c>scripts/rpm.sh 1 host</c>: its files, configuration and requirements,
/// rpmlint, the packaged NativeAOT binary running, and the templated autoscale unit checked by systemd's own
/// <c>systemd-analyze verify</c> and <c>security</c>.
/// </summary>
[Collection(RpmCollection.Name)]
public sealed class HostRpmTests(HostRpmPackage rpm) : IClassFixture<HostRpmPackage>
{
    private const string Unit = "guest-agent-autoscale@.service";

    private static async Task<string> QueryAsync(string package, params string[] query)
    {
        var (code, output) = await PackagingTools.RunAsync("/usr/bin/rpm", ["-qp", .. query, package], TimeSpan.FromMinutes(1));
        Assert.True(code == 0, output);
        return output;
    }

    [Fact]
    public async Task InstallsTheBinaryTheTemplatedUnitItsSettingsFolderAndItsStateDirectory()
    {
        var files = (await QueryAsync(rpm.File, "-l")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var config = (await QueryAsync(rpm.File, "--configfiles")).Trim();
        var modes = await QueryAsync(rpm.File, "--queryformat", "[%{FILEMODES:perms} %{FILENAMES}\n]");

        Assert.Equal(
            [
                "/etc/guest-agent-host", "/etc/guest-agent-host/autoscale", "/etc/guest-agent-host/autoscale/example.conf",
                "/usr/bin/guest-agent-host", "/usr/lib/systemd/system/guest-agent-autoscale@.service",
                "/usr/share/doc/guest-agent-host-0.1.0", "/usr/share/doc/guest-agent-host-0.1.0/README.md",
                "/usr/share/doc/guest-agent-host-0.1.0/autoscale.md", "/usr/share/doc/guest-agent-host-0.1.0/host-controller.md",
                "/usr/share/doc/guest-agent-host-0.1.0/protocol.md",
                "/usr/share/licenses/guest-agent-host-0.1.0", "/usr/share/licenses/guest-agent-host-0.1.0/LICENSE",
                "/var/lib/guest-agent-host",
            ],
            files.Order(StringComparer.Ordinal));
        Assert.Equal("/etc/guest-agent-host/autoscale/example.conf", config);
        Assert.Contains("drwx------ /var/lib/guest-agent-host", modes, StringComparison.Ordinal);
        Assert.Equal(
            File.ReadAllText(Path.Combine(PackagingTools.RepositoryRoot(), "systemd", Unit)),
            File.ReadAllText(Path.Combine(rpm.Unpacked.Path, "usr/lib/systemd/system", Unit)));
    }

    [Fact]
    public async Task NeedsNoDotnetRuntimeAndRpmlintIsClean()
    {
        var requires = (await QueryAsync(rpm.File, "--requires")).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.DoesNotContain(requires, r => r.Contains("dotnet", StringComparison.OrdinalIgnoreCase) || r.Contains("libicu", StringComparison.Ordinal) || r.Contains("libssl", StringComparison.Ordinal));
        Assert.Contains(requires, r => r.StartsWith("libc.so.6", StringComparison.Ordinal));
        Assert.Contains("0 errors, 0 warnings", rpm.LintReport, StringComparison.Ordinal);
        var lines = File.ReadAllLines(Path.Combine(PackagingTools.RepositoryRoot(), "rpm", "guest-agent-host.rpmlintrc"));
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith("addFilter", StringComparison.Ordinal))
            {
                Assert.True(i > 0 && lines[i - 1].StartsWith('#'), $"guest-agent-host.rpmlintrc line {i + 1} has no reason above it");
            }
        }
    }

    [Fact]
    public async Task ThePackagedBinaryRunsAndChecksAutoscalesArgumentsFirst()
    {
        var binary = Path.Combine(rpm.Unpacked.Path, "usr/bin/guest-agent-host");

        var help = await PackagingTools.RunAsync(binary, "autoscale", "--help");
        var bad = await PackagingTools.RunAsync(binary, "--qmp", "/nonexistent/qmp.sock", "autoscale", "--min", "2G", "--max", "1G");

        Assert.True(help.Code == 0, help.Output);
        Assert.Contains("--window", help.Output, StringComparison.Ordinal);
        Assert.Equal(2, bad.Code);
        Assert.Contains("--max must be at least --min", bad.Output, StringComparison.Ordinal);
    }

    /// <summary>systemd's own checks of the unit as an instance, its ExecStart pointed at the packaged binary.</summary>
    [Fact]
    public async Task TheAutoscaleUnitPassesSystemdsVerifyAndIsHardened()
    {
        PackagingTools.Require("/usr/bin/systemd-analyze");
        using var dir = new TemporaryDirectory();
        var binary = Path.Combine(rpm.Unpacked.Path, "usr/bin/guest-agent-host");
        var instance = Path.Combine(dir.Path, "guest-agent-autoscale@web1.service");
        File.WriteAllText(instance, File.ReadAllText(Path.Combine(rpm.Unpacked.Path, "usr/lib/systemd/system", Unit)).Replace("/usr/bin/guest-agent-host", binary, StringComparison.Ordinal));

        var verify = await PackagingTools.RunAsync("/usr/bin/systemd-analyze", "verify", instance);
        var security = await PackagingTools.RunAsync("/usr/bin/systemd-analyze", "security", "--offline=yes", instance);

        Assert.True(verify.Code == 0 && verify.Output.Trim().Length == 0, verify.Output);
        var level = System.Text.RegularExpressions.Regex.Match(security.Output, @"Overall exposure level for \S+: (\d+\.\d+)");
        Assert.True(level.Success, security.Output);
        Assert.True(double.Parse(level.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) <= 5.0, security.Output);
    }
}
