using GuestAgent.TestSupport;

namespace GuestAgent.Bench;

/// <summary>
/// Resident memory idle and after 1,000 requests, each agent build against qemu-ga (<c>-m unix-listen</c>) on this
/// machine's own <c>/sys</c> in the same run; and the CPU the agent uses over an idle minute (10 ms resolution).
/// With <c>floor</c> (the design card's stack without the agent, <c>bench/GuestAgent.StackFloor</c>, published like the
/// agent), also where any agent built on that stack starts from.
/// </summary>
public static class FootprintBenchmark
{
    public const string Target = "<= 2.5x qemu-ga";

    public static async Task<IReadOnlyList<BenchFigure>> RunAsync(IReadOnlyList<AgentUnderTest> agents, string? floor, int requests, TimeSpan idle, TextWriter log)
    {
        using var dir = new TemporaryDirectory();
        var figures = new List<BenchFigure>();
        var qgaSocket = Path.Combine(dir.Path, "qga.sock");
        using var qga = new ChildProcess("qemu-ga", ["-m", "unix-listen", "-p", qgaSocket, "-t", dir.Path]);
        using var qgaClient = await LineClient.ConnectAsync(qgaSocket, TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(2));
        var qgaIdle = qga.ResidentMiB();
        for (var i = 0; i < requests; i++)
        {
            await qgaClient.RequestAsync("""{"execute":"guest-get-memory-blocks"}""");
        }

        var qgaBusy = qga.ResidentMiB();
        log.WriteLine($"footprint: qemu-ga {qgaIdle:0.0} MiB idle, {qgaBusy:0.0} MiB after {requests} requests");
        if (floor is not null)
        {
            using var bare = new ChildProcess(floor, ["run"]);
            await bare.FirstLine.WaitAsync(TimeSpan.FromSeconds(60));
            await Task.Delay(TimeSpan.FromSeconds(2));
            var floorRss = bare.ResidentMiB();
            log.WriteLine($"footprint: the stack alone {floorRss:0.0} MiB idle");
            figures.Add(new BenchFigure("RSS idle, Hosting + Serilog + configuration + System.CommandLine alone (NativeAOT, no agent)", floorRss, "MiB", Target, floorRss <= 2.5 * qgaIdle, qgaIdle, "qemu-ga"));
        }
        foreach (var agent in agents)
        {
            var socket = Path.Combine(dir.Path, agent.Name.Replace(' ', '-').Replace("(", "").Replace(")", "") + ".sock");
            using var process = agent.Start("/sys", Path.Combine(dir.Path, "run-" + Path.GetFileName(socket)), socket);
            using var client = await LineClient.ConnectAsync(socket, TimeSpan.FromSeconds(60));
            await Task.Delay(TimeSpan.FromSeconds(2));
            var idleRss = process.ResidentMiB();
            var cpu = process.CpuMilliseconds();
            await Task.Delay(idle);
            var idleCpu = process.CpuMilliseconds() - cpu;
            for (var i = 0; i < requests; i++)
            {
                await client.RequestAsync("""{"execute":"get-model"}""");
            }

            var busyRss = process.ResidentMiB();
            log.WriteLine($"footprint: {agent.Name} {idleRss:0.0} MiB idle, {busyRss:0.0} MiB after {requests} requests, {idleCpu:0} ms CPU in {idle.TotalSeconds:0} s idle");
            figures.Add(new BenchFigure($"RSS idle, {agent.Name}", idleRss, "MiB", Target, idleRss <= 2.5 * qgaIdle, qgaIdle, "qemu-ga"));
            figures.Add(new BenchFigure($"RSS after {requests} requests, {agent.Name}", busyRss, "MiB", Target, busyRss <= 2.5 * qgaBusy, qgaBusy, "qemu-ga"));
            figures.Add(new BenchFigure($"CPU used in {idle.TotalSeconds:0} s idle, {agent.Name}", idleCpu, "ms", "no periodic work beyond the resync", idleCpu <= 100));
        }

        return figures;
    }
}
