using System.Text.Json;
using GuestAgent.Protocol.Model;
using GuestAgent.TestSupport;

namespace GuestAgent.Tests.Packaging;

/// <summary>
/// The RPM built by <c>scripts/rpm.sh</c> with Debian's rpmbuild: its file list, requirements, configuration files and
/// scripts, rpmlint, the packaged NativeAOT binary actually running (here, and on Debian 11's glibc), the glibc it
/// needs (RHEL 8's 2.28 at most), and install → upgrade → erase in a private rpm root keeping what a user changed.
/// </summary>
[Collection(RpmCollection.Name)]
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

    /// <summary>RHEL/CentOS 8's glibc: the newest symbol version anything the package ships may need.</summary>
    private static readonly Version Rhel8Glibc = new(2, 28);

    /// <summary>The glibc symbol versions an ELF file needs (objdump -T), newest first.</summary>
    private static async Task<List<Version>> GlibcVersionsAsync(string elf)
    {
        var (code, output) = await PackagingTools.RunAsync("/usr/bin/objdump", "-T", elf);
        Assert.True(code == 0, output);
        return System.Text.RegularExpressions.Regex.Matches(output, @"GLIBC_(\d+\.\d+(?:\.\d+)?)")
            .Select(m => Version.Parse(m.Groups[1].Value)).Distinct().OrderDescending().ToList();
    }

    [Fact]
    public async Task EveryElfFileItShipsRunsOnRhel8sGlibc()
    {
        PackagingTools.Require("/usr/bin/objdump");
        var shipped = Directory.EnumerateFiles(rpm.Unpacked.Path, "*", SearchOption.AllDirectories)
            .Where(f => !File.GetAttributes(f).HasFlag(FileAttributes.ReparsePoint) && File.ReadAllBytes(f) is [0x7f, (byte)'E', (byte)'L', (byte)'F', ..])
            .ToList();
        var control = await GlibcVersionsAsync("/usr/bin/true"); // linked here against this machine's glibc

        Assert.Equal(["guest-agent", "libMonoPosixHelper.so"], shipped.Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var elf in shipped)
        {
            var newest = (await GlibcVersionsAsync(elf))[0];
            Assert.True(newest <= Rhel8Glibc, $"{Path.GetFileName(elf)} needs GLIBC_{newest}");
        }

        Assert.True(control[0] > Rhel8Glibc, "the check would see a binary that needs a newer glibc");
    }

    [Fact]
    public async Task ItsRequirementsAskForNoGlibcNewerThanRhel8s()
    {
        var requires = (await QueryAsync(rpm.First, "--requires")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var versions = requires
            .Select(r => System.Text.RegularExpressions.Regex.Match(r, @"\(GLIBC_(\d+\.\d+(?:\.\d+)?)\)"))
            .Where(m => m.Success)
            .Select(m => Version.Parse(m.Groups[1].Value))
            .ToList();

        Assert.NotEmpty(versions);
        Assert.True(versions.Max() <= Rhel8Glibc, string.Join('\n', requires));
    }

    /// <summary>
    /// The packaged binary on the oldest userland at hand: a root holding only Debian 11's glibc 2.31 and zlib
    /// (tests/oldroot/prepare.sh, named by GUEST_AGENT_OLD_ROOT; the test command prepares it), where a binary linked
    /// here against glibc 2.36 fails to start.
    /// </summary>
    [Fact]
    public async Task ThePackagedBinaryRunsOnDebian11sGlibcWhereOneLinkedHereDoesNot()
    {
        var root = Environment.GetEnvironmentVariable("GUEST_AGENT_OLD_ROOT");
        if (string.IsNullOrEmpty(root) || !File.Exists(Path.Combine(root, "lib", "x86_64-linux-gnu", "libc.so.6")))
        {
            PackagingTools.Require(Path.Combine(root ?? "(GUEST_AGENT_OLD_ROOT unset)", "lib", "x86_64-linux-gnu", "libc.so.6"));
        }

        using var inside = new TemporaryDirectory(Path.Combine(root!, "tmp"));
        var name = Path.GetFileName(inside.Path);
        foreach (var file in new[] { "guest-agent", "libMonoPosixHelper.so" })
        {
            File.Copy(Path.Combine(rpm.Unpacked.Path, "usr", "libexec", "guest-agent", file), Path.Combine(inside.Path, file));
        }

        File.Copy("/usr/bin/true", Path.Combine(inside.Path, "true"));
        using var tree = new FakeSysfsTree(parentDirectory: inside.Path);
        tree.AddBootMemory(8).AddDimm(0, 32, 2);
        using var proc = new FakeProcTree(parentDirectory: inside.Path);
        string InRoot(string path) => $"/tmp/{name}/{Path.GetFileName(path)}";

        var scan = await PackagingTools.RunAsync("/usr/sbin/chroot", root!, InRoot("guest-agent"), "scan", "--sysfs-root", InRoot(tree.RootPath), "--proc-root", InRoot(proc.RootPath), "--json");
        var helper = await PackagingTools.RunAsync("/usr/sbin/chroot", root!, "/lib64/ld-linux-x86-64.so.2", "--list", $"/tmp/{name}/libMonoPosixHelper.so");
        var control = await PackagingTools.RunAsync("/usr/sbin/chroot", root!, $"/tmp/{name}/true");

        Assert.True(scan.Code == 0, scan.Output);
        var report = JsonSerializer.Deserialize(scan.Output, ModelJsonContext.Default.ModelReport)!;
        Assert.Equal(2, report.Dimms.Count);
        Assert.True(helper.Code == 0, helper.Output);
        Assert.Contains("libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6", helper.Output, StringComparison.Ordinal);
        Assert.NotEqual(0, control.Code);
        Assert.Contains("version `GLIBC_2.34' not found", control.Output, StringComparison.Ordinal);
    }
}
