using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using GuestAgent.TestSupport;

namespace GuestAgent.Bench;

/// <summary>
/// <c>guest-agent-host</c>'s start: from exec to its first QMP command (<c>qmp_capabilities</c>, right after QEMU's
/// greeting) on a listening socket that answers as QEMU does, per build (the JIT one through <c>dotnet</c>, the
/// NativeAOT one users get). Every host command pays this before it does anything.
/// </summary>
public static class HostStartupBenchmark
{
    private const string Greeting = """{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": ""}, "capabilities": []}}""";

    public static async Task<IReadOnlyList<BenchFigure>> RunAsync(IReadOnlyList<(string Name, string File, string[] Prefix)> builds, int runs, TextWriter log)
    {
        var figures = new List<BenchFigure>();
        foreach (var (name, file, prefix) in builds)
        {
            var times = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                using var dir = new TemporaryDirectory();
                var path = Path.Combine(dir.Path, "qmp.sock");
                using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                listener.Bind(new UnixDomainSocketEndPoint(path));
                listener.Listen(1);
                var watch = Stopwatch.StartNew();
                using var process = new ChildProcess(file, [.. prefix, "--qmp", path, "--lock-dir", dir.Path, "--state", Path.Combine(dir.Path, "vm.json"), "status"]);
                using var connection = await listener.AcceptAsync();
                await connection.SendAsync(Encoding.UTF8.GetBytes(Greeting + "\n"));
                var buffer = new byte[4096];
                var received = await connection.ReceiveAsync(buffer);
                times.Add(watch.Elapsed.TotalSeconds);
                if (!Encoding.UTF8.GetString(buffer, 0, received).Contains("qmp_capabilities", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"{name} sent no qmp_capabilities first");
                }
            }

            var median = Statistics.Median(times);
            log.WriteLine($"host start-up: {name} {string.Join(", ", times.Select(t => t.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)))} s");
            var aot = name.Contains("NativeAOT", StringComparison.Ordinal);
            figures.Add(new BenchFigure($"guest-agent-host start to its first QMP command, {name} (median of {runs})", median, "s", aot ? "<= 0.05 s" : "reported", !aot || median <= 0.05));
        }

        return figures;
    }
}
