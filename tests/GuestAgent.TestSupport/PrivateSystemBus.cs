using System.Diagnostics;
namespace GuestAgent.TestSupport;

/// <summary>
/// A private <c>dbus-daemon</c> configured like a system bus (method calls denied unless a policy allows them), with
/// the repository's <c>dbus/org.guestagent.Memory1.conf</c> in its policy folder; or, <c>permissive</c>, one that lets
/// anyone call anything, to test the agent's own check. The test ends only the daemon it started.
/// </summary>
public sealed class PrivateSystemBus : IDisposable
{
    private readonly TemporaryDirectory _dir = new();
    private readonly Process _daemon;

    public PrivateSystemBus(bool permissive = false)
    {
        foreach (var tool in new[] { "/usr/bin/dbus-daemon", "/usr/bin/busctl", "/usr/bin/dbus-send", "/usr/bin/setpriv" })
        {
            if (!File.Exists(tool))
            {
                throw new InvalidOperationException($"{tool} is missing: scripts/setup.sh installs it");
            }
        }

        File.SetUnixFileMode(_dir.Path, (UnixFileMode)0x1ED); // 0755: the unprivileged caller must reach the socket
        var policies = Path.Combine(_dir.Path, "system.d");
        Directory.CreateDirectory(policies);
        File.Copy(Path.Combine(RepositoryRoot.Find(), "dbus", "org.guestagent.Memory1.conf"), Path.Combine(policies, "org.guestagent.Memory1.conf"));
        var socket = Path.Combine(_dir.Path, "system_bus_socket");
        Address = "unix:path=" + socket;
        var calls = permissive ? """<allow send_type="method_call"/>""" : """<deny send_type="method_call"/>""";
        var config = Path.Combine(_dir.Path, "bus.conf");
        File.WriteAllText(config, $"""
            <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
             "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
            <busconfig>
              <type>system</type>
              <listen>{Address}</listen>
              <auth>EXTERNAL</auth>
              <policy context="default">
                <allow user="*"/>
                <deny own="*"/>
                {calls}
                <allow send_type="signal"/>
                <allow send_requested_reply="true" send_type="method_return"/>
                <allow send_requested_reply="true" send_type="error"/>
                <allow receive_type="method_call"/>
                <allow receive_type="method_return"/>
                <allow receive_type="error"/>
                <allow receive_type="signal"/>
                <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
                <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
              </policy>
              <includedir>{policies}</includedir>
            </busconfig>
            """);
        var start = new ProcessStartInfo("/usr/bin/dbus-daemon") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("--config-file=" + config);
        start.ArgumentList.Add("--nofork");
        _daemon = Process.Start(start) ?? throw new InvalidOperationException("cannot start dbus-daemon");
        _daemon.OutputDataReceived += (_, _) => { };
        _daemon.ErrorDataReceived += (_, _) => { };
        _daemon.BeginOutputReadLine();
        _daemon.BeginErrorReadLine();
        Eventually.TrueAsync(() => File.Exists(socket) || _daemon.HasExited, "dbus-daemon's socket", TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
    }

    public string Address { get; }

    /// <summary>Runs busctl against this bus, as root or (with <paramref name="uid"/>) as another user via setpriv.</summary>
    public Task<(int Code, string Output)> BusctlAsync(int? uid, params string[] args)
    {
        string[] busctl = ["/usr/bin/busctl", "--address=" + Address, .. args];
        return uid is { } id
            ? ToolRunner.RunAsync("/usr/bin/setpriv", [$"--reuid={id}", $"--regid={id}", "--clear-groups", .. busctl], TimeSpan.FromMinutes(1))
            : ToolRunner.RunAsync(busctl[0], busctl[1..], TimeSpan.FromMinutes(1));
    }

    public void Dispose()
    {
        if (!_daemon.HasExited)
        {
            _daemon.Kill();
            _daemon.WaitForExit();
        }

        _daemon.Dispose();
        _dir.Dispose();
    }
}
