using System.Globalization;
using System.Text.RegularExpressions;
using GuestAgent.TestSupport;

namespace GuestAgent.Tests.Packaging;

/// <summary>
/// systemd/guest-agent.service checked with systemd-analyze. verify insists that ExecStart's program exists, so it
/// checks a copy whose ExecStart points at a stub; a broken copy must be complained about, so the check is known to bite.
/// </summary>
public sealed class SystemdUnitTests : IDisposable
{
    private const string Analyze = "/usr/bin/systemd-analyze";
    private readonly TemporaryDirectory _dir = new();

    private string CopyUnit(Func<string, string> edit)
    {
        var stub = Path.Combine(_dir.Path, "guest-agent");
        File.WriteAllText(stub, "#!/bin/sh\n");
        File.SetUnixFileMode(stub, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var text = File.ReadAllText(Path.Combine(PackagingTools.RepositoryRoot(), "systemd", "guest-agent.service"));
        Assert.Contains("ExecStart=/usr/bin/guest-agent run", text);
        var unit = Path.Combine(_dir.Path, "guest-agent.service");
        File.WriteAllText(unit, edit(text.Replace("/usr/bin/guest-agent", stub)));
        return unit;
    }

    [Fact]
    public async Task TheUnitVerifiesAndABrokenOneDoesNot()
    {
        PackagingTools.Require(Analyze);

        var (code, output) = await PackagingTools.RunAsync(Analyze, "verify", CopyUnit(t => t));
        var (_, broken) = await PackagingTools.RunAsync(Analyze, "verify", CopyUnit(t => t.Replace("Type=notify", "Type=sometimes")));

        // verify exits 0 on many mistakes and only says so: the unit must verify with nothing said at all.
        Assert.True(code == 0 && output.Trim().Length == 0, output);
        Assert.Contains("Failed to parse service type", broken);
    }

    [Fact]
    public async Task TheUnitIsHardened()
    {
        PackagingTools.Require(Analyze);

        var (_, output) = await PackagingTools.RunAsync(Analyze, "security", "--offline=yes", CopyUnit(t => t));
        var match = Regex.Match(output, @"Overall exposure level for \S+: ([0-9.]+)");

        Assert.True(match.Success, output);
        Assert.True(double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) <= 3.0, output[^300..]);
        var unit = File.ReadAllText(Path.Combine(PackagingTools.RepositoryRoot(), "systemd", "guest-agent.service"));
        Assert.Contains("Type=notify", unit);
        Assert.Contains("NoNewPrivileges=yes", unit);
        Assert.Contains("OOMScoreAdjust=-900", unit);
    }

    public void Dispose() => _dir.Dispose();
}
