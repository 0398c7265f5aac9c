using System.Diagnostics;
using GuestAgent.TestSupport;

namespace GuestAgent.VmHarness;

/// <summary>
/// A private libvirtd (Debian's libvirt-daemon with its qemu driver) that touches nothing of the machine's own: it runs
/// in a mount namespace of its own (<c>unshare -m</c>) where <c>/etc/libvirt</c>, <c>/etc/passwd</c> and
/// <c>/etc/group</c> (with the <c>libvirt-qemu</c> user libvirtd looks up before reading qemu.conf), <c>/var/lib</c>,
/// <c>/var/log</c>, <c>/var/cache</c> and <c>/run</c> are folders of a temporary directory, and qemu.conf lets it run
/// QEMU as root in a container (no security driver, no ownership changes, stdio to files instead of virtlogd).
/// Clients reach it at <see cref="Uri"/>. Each has a host UUID of its own and leaves cgroups alone, so two of them side
/// by side can migrate a domain between them (libvirt refuses a migration to the same host UUID; both would make the
/// same per-domain cgroup). Disposing destroys the domains it runs and ends the daemon it started.
/// </summary>
public sealed class LibvirtDaemon : IAsyncDisposable
{
    private readonly TemporaryDirectory _dir;
    private readonly Process _daemon;

    private LibvirtDaemon(Process daemon, TemporaryDirectory dir)
    {
        _daemon = daemon;
        _dir = dir;
    }

    /// <summary>The connection URI with the private socket.</summary>
    public string Uri => $"qemu:///system?socket={Path.Combine(_dir.Path, "run", "libvirt", "libvirt-sock")}";

    public string Log => File.Exists(Path.Combine(_dir.Path, "libvirtd.log")) ? File.ReadAllText(Path.Combine(_dir.Path, "libvirtd.log")) : "";

    /// <summary>Whether libvirt's daemon is installed (scripts/setup.sh installs it).</summary>
    public static bool Installed => File.Exists("/usr/sbin/libvirtd") && File.Exists("/usr/bin/virsh");

    public static async Task<LibvirtDaemon> StartAsync()
    {
        if (!Installed)
        {
            throw new VmImageMissingException("libvirt is not installed: scripts/setup.sh installs libvirt-daemon, libvirt-daemon-driver-qemu, libvirt-clients");
        }

        var dir = new TemporaryDirectory();
        string P(string name) => Path.Combine(dir.Path, name);
        foreach (var folder in new[] { "etc-libvirt", "var-lib/libvirt", "var-log/libvirt", "var-cache/libvirt", "run/libvirt" })
        {
            Directory.CreateDirectory(P(folder));
        }

        foreach (var file in Directory.EnumerateFiles("/etc/libvirt"))
        {
            File.Copy(file, Path.Combine(P("etc-libvirt"), Path.GetFileName(file)));
        }

        await File.WriteAllTextAsync(P("etc-libvirt/qemu.conf"), """
            user = "root"
            group = "root"
            dynamic_ownership = 0
            security_driver = "none"
            stdio_handler = "file"
            cgroup_controllers = [ ]
            """);
        await File.WriteAllTextAsync(P("etc-libvirt/libvirtd.conf"), $"""
            log_outputs = "3:file:{P("libvirtd.log")}"
            auth_unix_rw = "none"
            auth_unix_ro = "none"
            host_uuid = "{Guid.NewGuid()}"
            """);
        await File.WriteAllTextAsync(P("passwd"), await File.ReadAllTextAsync("/etc/passwd") + "libvirt-qemu:x:64055:64055:Libvirt Qemu,,,:/var/lib/libvirt:/usr/sbin/nologin\n");
        await File.WriteAllTextAsync(P("group"), await File.ReadAllTextAsync("/etc/group") + "libvirt-qemu:x:64055:\nkvm:x:64056:\nlibvirt:x:64057:\n");

        var binds = string.Join(" && ", new[]
        {
            ("etc-libvirt", "/etc/libvirt"), ("passwd", "/etc/passwd"), ("group", "/etc/group"),
            ("var-lib", "/var/lib"), ("var-log", "/var/log"), ("var-cache", "/var/cache"), ("run", "/run"),
        }.Select(b => $"mount --bind '{P(b.Item1)}' '{b.Item2}'"));
        var start = new ProcessStartInfo("unshare", ["-m", "--propagation", "private", "sh", "-c", binds + " && exec /usr/sbin/libvirtd"])
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        var daemon = Process.Start(start) ?? throw new InvalidOperationException("cannot start libvirtd");
        daemon.OutputDataReceived += (_, _) => { };
        daemon.ErrorDataReceived += (_, _) => { };
        daemon.BeginOutputReadLine();
        daemon.BeginErrorReadLine();
        var adopted = new LibvirtDaemon(daemon, dir);
        try
        {
            await Eventually.TrueAsync(
                () => daemon.HasExited || File.Exists(P("run/libvirt/libvirt-sock")),
                "libvirtd's socket",
                TimeSpan.FromSeconds(30));
            if (daemon.HasExited)
            {
                throw new InvalidOperationException($"libvirtd exited with {daemon.ExitCode}:\n{adopted.Log}");
            }

            var (code, output) = await adopted.VirshAsync("version");
            if (code != 0)
            {
                throw new InvalidOperationException($"virsh cannot reach the private libvirtd: {output}\n{adopted.Log}");
            }

            return adopted;
        }
        catch
        {
            await adopted.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs <c>virsh -c URI ARGS</c>: the tests' independent client.</summary>
    public Task<(int Code, string Output)> VirshAsync(params string[] args) =>
        ToolRunner.RunAsync("/usr/bin/virsh", ["-c", Uri, .. args], TimeSpan.FromMinutes(2));

    public async Task<string> VirshCheckAsync(params string[] args)
    {
        var (code, output) = await VirshAsync(args);
        return code == 0 ? output : throw new InvalidOperationException($"virsh {string.Join(' ', args)} exited {code}: {output}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_daemon.HasExited)
        {
            var (_, running) = await VirshAsync("list", "--name");
            foreach (var domain in running.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                await VirshAsync("destroy", domain);
            }

            _daemon.Kill();
            await _daemon.WaitForExitAsync();
        }

        _daemon.Dispose();
        _dir.Dispose();
    }
}
