using System.Diagnostics;
using GuestAgent.TestSupport;

namespace GuestAgent.Bench;

/// <summary>
/// "Get the model" on a tree of many blocks: the agent's <c>get-model</c> against qemu-ga's
/// <c>guest-get-memory-blocks</c>. qemu-ga reads the fixed path <c>/sys/devices/system/memory</c>, so it runs in a
/// private mount namespace (<c>unshare -m</c>) with the fake tree bind-mounted over that path.
/// </summary>
public static class RequestCostBenchmark
{
    public static async Task<IReadOnlyList<BenchFigure>> RunAsync(AgentUnderTest agent, int blocks, int runs, TextWriter log)
    {
        using var tree = ScaleTree.Build(blocks, 8, 16, "online");
        using var dir = new TemporaryDirectory();
        var memory = Path.Combine(tree.RootPath, "devices", "system", "memory");
        var qgaSocket = Path.Combine(dir.Path, "qga.sock");
        using var qga = new ChildProcess("unshare", ["-m", "--propagation", "private", "sh", "-c", $"mount --bind '{memory}' /sys/devices/system/memory && exec qemu-ga -m unix-listen -p '{qgaSocket}' -t '{dir.Path}'"]);
        using var qgaClient = await LineClient.ConnectAsync(qgaSocket, TimeSpan.FromSeconds(30));
        var agentSocket = Path.Combine(dir.Path, "agent.sock");
        using var process = agent.Start(tree.RootPath, Path.Combine(dir.Path, "run"), agentSocket);
        using var agentClient = await LineClient.ConnectAsync(agentSocket, TimeSpan.FromSeconds(120));

        var qgaBytes = await qgaClient.RequestAsync("""{"execute":"guest-get-memory-blocks"}"""); // warm-up, and a check it reads the fake tree
        var agentBytes = await agentClient.RequestAsync("""{"execute":"get-model"}""");
        log.WriteLine($"request cost on {blocks} blocks: qemu-ga reply {qgaBytes} bytes, agent reply {agentBytes} bytes");
        var qgaTimes = new List<double>();
        var agentTimes = new List<double>();
        var agentRss = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var watch = Stopwatch.StartNew();
            await qgaClient.RequestAsync("""{"execute":"guest-get-memory-blocks"}""");
            qgaTimes.Add(watch.Elapsed.TotalSeconds);
            watch.Restart();
            await agentClient.RequestAsync("""{"execute":"get-model"}""");
            agentTimes.Add(watch.Elapsed.TotalSeconds);
            agentRss.Add(process.ResidentMiB());
        }

        // unshare execs sh, which execs qemu-ga after the mount: the same process.
        var qgaRss = qga.ResidentMiB();
        var agentMedian = Statistics.Median(agentTimes);
        var qgaMedian = Statistics.Median(qgaTimes);
        log.WriteLine($"request cost: qemu-ga median {qgaMedian:0.000} s (RSS {qgaRss:0} MiB), agent median {agentMedian:0.0000} s (RSS {agentRss[0]:0}→{agentRss[^1]:0} MiB)");
        return
        [
            new BenchFigure($"get the model, {blocks} blocks (median of {runs})", agentMedian, "s", ">= 3x faster than qemu-ga", qgaMedian >= 3 * agentMedian, qgaMedian, "qemu-ga guest-get-memory-blocks"),
            new BenchFigure($"agent RSS over {runs} requests on {blocks} blocks", agentRss[^1], "MiB", "flat (< +8 MiB)", agentRss[^1] - agentRss[0] < 8, qgaRss, "qemu-ga RSS"),
        ];
    }
}
