using GuestAgent.TestSupport;

namespace GuestAgent.Bench;

/// <summary>
/// Resident memory (VmRSS, and RssAnon: what the kernel cannot drop, broken down from smaps by what holds it, and D-Bus's
/// share against the same build without it) idle and after 1,000 requests, each agent build against qemu-ga (<c>-m unix-listen</c>) on this machine's own <c>/sys</c> in the same run, the agent on a private
/// D-Bus as its default configuration has it; and the CPU the agent uses over an idle minute (10 ms resolution).
/// With <c>floor</c> (the design card's stack without the agent, <c>bench/GuestAgent.StackFloor</c>, published like the
/// agent), also where any agent built on that stack starts from.
/// </summary>
public static class FootprintBenchmark
{
    /// <summary>RSS is reported beside qemu-ga's; most of it is the executable's pages, which the kernel can drop.</summary>
    public const string Target = "reported";

    /// <summary>What the kernel cannot drop, with D-Bus on.</summary>
    public const string AnonymousTarget = "<= 3.5 MiB";

    /// <summary>RssAnon 15 s after the burst against idle.</summary>
    public const string GrowthTarget = "<= 0.5 MiB";

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
            var floorParts = SmapsBreakdown.Read(bare.Id);
            log.WriteLine($"footprint: the stack alone's RssAnon by what holds it (MiB): {floorParts}");
            figures.Add(new BenchFigure("RSS idle, the design card's stack alone (Hosting + Hosting.Systemd + Serilog + configuration + System.CommandLine, NativeAOT, no agent)", floorRss, "MiB", Target, true, qgaIdle, "qemu-ga"));
            figures.Add(new BenchFigure("RssAnon idle, the stack alone", floorAnon, "MiB", "reported", true, qgaAnon, "qemu-ga"));
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
            var parts = SmapsBreakdown.Read(process.Id);
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
            var settledAnon = process.AnonymousMiB();

            // D-Bus's share: the same agent without it, measured the same way.
            double withoutBus;
            var noBusSocket = socket + ".nobus";
            using (var noBus = agent.Start("/sys", Path.Combine(dir.Path, "run-nobus-" + Path.GetFileName(socket)), noBusSocket))
            {
                using var noBusClient = await LineClient.ConnectAsync(noBusSocket, TimeSpan.FromSeconds(60));
                await Task.Delay(TimeSpan.FromSeconds(2));
                withoutBus = noBus.AnonymousMiB();
            }

            log.WriteLine($"footprint: {agent.Name} {idleRss:0.0} MiB idle (anonymous {idleAnon:0.0}), {busyRss:0.0} MiB after {requests} requests (anonymous {busyAnon:0.0}), {settledRss:0.0} MiB 15 s later (anonymous {settledAnon:0.0}), {idleCpu:0} ms CPU in {idle.TotalSeconds:0} s idle");
            log.WriteLine($"footprint: {agent.Name} RssAnon idle by what holds it (MiB, smaps): {parts}; without D-Bus {withoutBus:0.00} MiB (D-Bus's share {idleAnon - withoutBus:0.00})");
            figures.Add(new BenchFigure($"RSS idle, {agent.Name}, D-Bus on", idleRss, "MiB", Target, true, qgaIdle, "qemu-ga"));
            figures.Add(new BenchFigure($"RssAnon idle, {agent.Name}, D-Bus on", idleAnon, "MiB", agent.Shipped ? AnonymousTarget : "reported", !agent.Shipped || idleAnon <= 3.5, qgaAnon, "qemu-ga"));
            foreach (var part in new[] { SmapsBreakdown.GcHeap, SmapsBreakdown.ThreadStacks, SmapsBreakdown.NativeHeap, SmapsBreakdown.WrittenData, SmapsBreakdown.MainStack, SmapsBreakdown.Other })
            {
                figures.Add(new BenchFigure($"  of which {part}, {agent.Name}", parts.Of(part), "MiB", "reported", true));
            }

            figures.Add(new BenchFigure($"  D-Bus's share (RssAnon with it minus without), {agent.Name}", idleAnon - withoutBus, "MiB", "reported", true));
            figures.Add(new BenchFigure($"RSS after {requests} requests, {agent.Name}", busyRss, "MiB", Target, true, qgaBusy, "qemu-ga"));
            figures.Add(new BenchFigure($"RssAnon 15 s after {requests} requests against idle, {agent.Name}", settledAnon - idleAnon, "MiB", agent.Shipped ? GrowthTarget : "reported", !agent.Shipped || settledAnon - idleAnon <= 0.5));
            figures.Add(new BenchFigure($"CPU used in {idle.TotalSeconds:0} s idle, {agent.Name}", idleCpu, "ms", agent.Shipped ? "no periodic work beyond the resync" : "reported", !agent.Shipped || idleCpu <= 100));
        }

        return figures;
    }
}
