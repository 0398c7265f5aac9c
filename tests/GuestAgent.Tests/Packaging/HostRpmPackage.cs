using GuestAgent.TestSupport;

namespace GuestAgent.Tests.Packaging;

/// <summary>Builds the guest-agent-host RPM with <c>scripts/rpm.sh 1 host</c> once per test class, and unpacks it.</summary>
public sealed class HostRpmPackage : IAsyncLifetime
{
    public string File { get; private set; } = "";

    public string LintReport { get; private set; } = "";

    /// <summary>The package unpacked (rpm2cpio | cpio) into a temporary root.</summary>
    public TemporaryDirectory Unpacked { get; } = new();

    public async ValueTask InitializeAsync()
    {
        PackagingTools.Require("/usr/bin/rpmbuild", "/usr/bin/rpmlint", "/usr/bin/rpm2cpio", "/usr/bin/cpio");
        var script = Path.Combine(PackagingTools.RepositoryRoot(), "scripts", "rpm.sh");
        var (code, output) = await PackagingTools.RunAsync("/bin/bash", [script, "1", "host"], TimeSpan.FromMinutes(10));
        Assert.True(code == 0, output);
        File = output.Trim().Split('\n')[^1];
        LintReport = await System.IO.File.ReadAllTextAsync(Path.Combine(PackagingTools.RepositoryRoot(), "artifacts", "rpm", "rpmlint-host.txt"));
        var unpack = await PackagingTools.RunAsync("/bin/sh", "-c", $"cd '{Unpacked.Path}' && rpm2cpio '{File}' | cpio -idm --quiet");
        Assert.True(unpack.Code == 0, unpack.Output);
    }

    public ValueTask DisposeAsync()
    {
        Unpacked.Dispose();
        return ValueTask.CompletedTask;
    }
}
