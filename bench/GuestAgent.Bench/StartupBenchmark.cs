using System.Diagnostics;
using GuestAgent.TestSupport;

namespace GuestAgent.Bench;

/// <summary>Process start to READY=1 (sd_notify over a real datagram socket), per agent build, on a small fake tree.</summary>
public static class StartupBenchmark
{
    public static async Task<IReadOnlyList<BenchFigure>> RunAsync(IReadOnlyList<AgentUnderTest> agents, int runs, TextWriter log)
    {
        var figures = new List<BenchFigure>();
        foreach (var agent in agents)
        {
            var times = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                using var tree = ScaleTree.Build(64, 8, 2, "online");
                using var dir = new TemporaryDirectory();
                using var notify = new NotifySocket();
                var watch = Stopwatch.StartNew();
                using var process = agent.Start(tree.RootPath, Path.Combine(dir.Path, "run"), Path.Combine(dir.Path, "agent.sock"), new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notify.Address }, underSystemd: true);
                await Eventually.TrueAsync(() => notify.Messages.Contains("READY=1"), "READY=1", TimeSpan.FromSeconds(60));
                times.Add(watch.Elapsed.TotalSeconds);
            }

            var median = Statistics.Median(times);
            log.WriteLine($"start-up: {agent.Name} {string.Join(", ", times.Select(t => t.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)))} s");
            figures.Add(new BenchFigure($"start to READY=1, {agent.Name} (median of {runs})", median, "s", "reported", true));
        }

        return figures;
    }
}
