using GuestAgent.TestSupport;

namespace GuestAgent.Tests.Packaging;

/// <summary>Builds the RPM twice (releases 1 and 2, for the upgrade test) with <c>scripts/rpm.sh</c>, once per test class.</summary>
public sealed class RpmPackages : IAsyncLifetime
{
    public string First { get; private set; } = "";

    public string Second { get; private set; } = "";

    public string LintReport { get; private set; } = "";

    /// <summary>The first package unpacked (rpm2cpio | cpio) into a temporary root.</summary>
    public TemporaryDirectory Unpacked { get; } = new();

    public async ValueTask InitializeAsync()
    {
        PackagingTools.Require("/usr/bin/rpmbuild", "/usr/bin/rpmlint", "/usr/bin/rpm2cpio", "/usr/bin/cpio");
        var script = Path.Combine(PackagingTools.RepositoryRoot(), "scripts", "rpm.sh");
        // Release 2 exists only to test an upgrade (its changelog still names release 1); release 1 is the one linted.
        Second = await BuildAsync(script, "2");
        First = await BuildAsync(script, "1");
        LintReport = await File.ReadAllTextAsync(Path.Combine(PackagingTools.RepositoryRoot(), "artifacts", "rpm", "rpmlint.txt"));
        var (code, output) = await PackagingTools.RunAsync("/bin/sh", "-c", $"cd '{Unpacked.Path}' && rpm2cpio '{First}' | cpio -idm --quiet");
        Assert.True(code == 0, output);
    }

    private static async Task<string> BuildAsync(string script, string release)
    {
        var (code, output) = await PackagingTools.RunAsync("/bin/bash", [script, release], TimeSpan.FromMinutes(10));
        Assert.True(code == 0, output);
        return output.Trim().Split('\n')[^1];
    }

    public ValueTask DisposeAsync()
    {
        Unpacked.Dispose();
        return ValueTask.CompletedTask;
    }
}
