using GuestAgent.TestSupport;

namespace GuestAgent.Bench;

/// <summary>
/// Resident memory (VmRSS, and RssAnon: what the kernel cannot drop) idle and after 1,000 requests, each agent build
/// against qemu-ga (<c>-m unix-listen</c>) on this machine's own <c>/sys</c> in the same run, the agent on a private
/// D-Bus as its default configuration has it; and the CPU the agent uses over an idle minute (10 ms resolution).
/// With <c>floor</c> (the design card's stack without the agent, <c>bench/GuestAgent.StackFloor</c>, published like the
/// agent), also where any agent built on that stack starts from.
/// </summary>
public static class FootprintBenchmark
{
    public const string Target = "<= 2.5x qemu-ga";

    public const string AnonymousTarget = "<= 2.5 MiB";

    public const string GrowthTarget = "<= 1 MiB";

    public static async Task<IReadOnlyList<BenchFigure>> RunAsync(IReadOnlyList<AgentUnderTest> agents, string? floor, int requests, TimeSpan idle, TextWriter log)
    {
        using var dir = new TemporaryDirectory();
        var figures = new List<BenchFigure>();
        var qgaSocket = Path.Combine(dir.Path, "qga.sock");
        using var qga = new ChildProcess("qemu-ga", ["-m", "unix-listen", "-p", qgaSocket, "-t", dir.Path]);
        using var qgaClient = await LineClient.ConnectAsync(qgaSocket, TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(2));
        var qgaIdle = qga.ResidentMiB();
        var qgaAnon = qga.AnonymousMiB();
        for (var i = 0; i < requests; i++)
        {
            await qgaClient.RequestAsync("""{"execute":"guest-get-memory-blocks"}""");
        }

        var qgaBusy = qga.ResidentMiB();
        log.WriteLine($"footprint: qemu-ga {qgaIdle:0.0} MiB idle (anonymous {qgaAnon:0.0}), {qgaBusy:0.0} MiB after {requests} requests");
        if (floor is not null)
        {
            using var bare = new ChildProcess(floor, ["run"]);
            await bare.FirstLine.WaitAsync(TimeSpan.FromSeconds(60));
            await Task.Delay(TimeSpan.FromSeconds(2));
            var floorRss = bare.ResidentMiB();
            var floorAnon = bare.AnonymousMiB();
            log.WriteLine($"footprint: the stack alone {floorRss:0.0} MiB idle (anonymous {floorAnon:0.0})");
            figures.Add(new BenchFigure("RSS idle, the design card's stack alone (Hosting + Hosting.Systemd + Serilog + configuration + System.CommandLine, NativeAOT, no agent)", floorRss, "MiB", Target, floorRss <= 2.5 * qgaIdle, qgaIdle, "qemu-ga"));
            figures.Add(new BenchFigure("RssAnon idle, the stack alone", floorAnon, "MiB", AnonymousTarget, floorAnon <= 2.5, qgaAnon, "qemu-ga"));
        }
        using var bus = new PrivateSystemBus();
        foreach (var agent in agents)
        {
            var socket = Path.Combine(dir.Path, agent.Name.Replace(' ', '-').Replace("(", "").Replace(")", "") + ".sock");
            using var process = agent.Start("/sys", Path.Combine(dir.Path, "run-" + Path.GetFileName(socket)), socket, busAddress: bus.Address);
            using var client = await LineClient.ConnectAsync(socket, TimeSpan.FromSeconds(60));
            await Task.Delay(TimeSpan.FromSeconds(2));
            var idleRss = process.ResidentMiB();
            var idleAnon = process.AnonymousMiB();
            var cpu = process.CpuMilliseconds();
            await Task.Delay(idle);
            var idleCpu = process.CpuMilliseconds() - cpu;
            for (var i = 0; i < requests; i++)
            {
                await client.RequestAsync("""{"execute":"get-model"}""");
            }

            var busyRss = process.ResidentMiB();
            var busyAnon = process.AnonymousMiB();

            // The agent gives a burst's heap back once it is quiet again (HeapTrimService): what a guest lives with.
            await Task.Delay(TimeSpan.FromSeconds(15));
            var settledRss = process.ResidentMiB();
            log.WriteLine($"footprint: {agent.Name} {idleRss:0.0} MiB idle (anonymous {idleAnon:0.0}), {busyRss:0.0} MiB after {requests} requests (anonymous {busyAnon:0.0}), {settledRss:0.0} MiB 15 s later, {idleCpu:0} ms CPU in {idle.TotalSeconds:0} s idle");
            figures.Add(new BenchFigure($"RSS idle, {agent.Name}, D-Bus on", idleRss, "MiB", Target, idleRss <= 2.5 * qgaIdle, qgaIdle, "qemu-ga"));
            figures.Add(new BenchFigure($"RssAnon idle, {agent.Name}", idleAnon, "MiB", AnonymousTarget, idleAnon <= 2.5, qgaAnon, "qemu-ga"));
            figures.Add(new BenchFigure($"RSS after {requests} requests, {agent.Name}", busyRss, "MiB", Target, busyRss <= 2.5 * qgaBusy, qgaBusy, "qemu-ga"));
            figures.Add(new BenchFigure($"RSS growth over {requests} requests, 15 s later, {agent.Name}", settledRss - idleRss, "MiB", GrowthTarget, settledRss - idleRss <= 1.0));
            figures.Add(new BenchFigure($"CPU used in {idle.TotalSeconds:0} s idle, {agent.Name}", idleCpu, "ms", "no periodic work beyond the resync", idleCpu <= 100));
        }

        return figures;
    }
}
