using GuestAgent.Bench;
using GuestAgent.VmHarness;

// guest-agent-bench [model|storm|footprint|request|startup|vm|virtio-mem|libvirt|autoscale|all][,SCENARIO…] [--blocks N] [--runs N] [--events N]
//                   [--requests N] [--idle SECONDS] [--rounds N] [--unplug-rounds N] [--binary NAME=PATH ...] [--floor PATH] [--host PATH]
var scenario = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
var chosen = scenario.Split(',');
bool Runs(string name) => chosen.Contains(name) || chosen.Contains("all");
int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
}

var figures = new List<BenchFigure>();
var log = Console.Error;
log.WriteLine($"guest-agent-bench {scenario} on {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
if (Runs("model"))
{
    figures.AddRange(ModelScaleBenchmark.Run(Arg("--blocks", 65_536), Arg("--runs", 5), log));
}

if (Runs("storm"))
{
    figures.AddRange(await UeventStormBenchmark.RunAsync(Arg("--events", 4_096), log));
}

// The agent builds compared with the peers: the JIT build beside this benchmark, and any published binaries named with
// --binary NAME=PATH (scripts/bench.sh passes the NativeAOT build, the one the RPM ships).
var agents = new List<AgentUnderTest> { AgentUnderTest.Jit(VmImage.AgentDll()) };
for (var i = 0; i < args.Length - 1; i++)
{
    if (args[i] == "--binary" && args[i + 1].Split('=', 2) is [var name, var path] && File.Exists(path))
    {
        agents.Add(AgentUnderTest.Binary($"agent ({name})", Path.GetFullPath(path)));
    }
}

if (Runs("footprint"))
{
    var floor = args.SkipWhile(a => a != "--floor").Skip(1).FirstOrDefault();
    figures.AddRange(await FootprintBenchmark.RunAsync(agents, floor is null ? null : Path.GetFullPath(floor), Arg("--requests", 1_000), TimeSpan.FromSeconds(Arg("--idle", 60)), log));
}

if (Runs("request"))
{
    figures.AddRange(await RequestCostBenchmark.RunAsync(agents[^1], Arg("--blocks", 65_536), Arg("--runs", 5), log));
}

if (Runs("startup"))
{
    figures.AddRange(await StartupBenchmark.RunAsync(agents, Arg("--runs", 5), log));
}

if (Runs("startup"))
{
    List<(string Name, string File, string[] Prefix)> hosts = [("JIT", "dotnet", [VmImage.HostControllerDllForBench()])];
    if (args.SkipWhile(a => a != "--host").Skip(1).FirstOrDefault() is { } host && File.Exists(host))
    {
        hosts.Add(("NativeAOT", Path.GetFullPath(host), []));
    }

    figures.AddRange(await HostStartupBenchmark.RunAsync(hosts, Arg("--runs", 5), log));
}

if (Runs("vm"))
{
    figures.AddRange(await VmBenchmark.RunAsync(Arg("--rounds", 7), Arg("--unplug-rounds", 3), log));
}

if (Runs("virtio-mem"))
{
    figures.AddRange(await VirtioMemBenchmark.RunAsync(Arg("--rounds", 5), log));
}

if (Runs("libvirt"))
{
    figures.AddRange(await LibvirtBenchmark.RunAsync(Arg("--rounds", 5), log));
}

if (Runs("autoscale"))
{
    figures.AddRange(await AutoscaleBenchmark.RunAsync(Arg("--rounds", 5), Arg("--wave-minutes", 10), log));
}

if (figures.Count == 0)
{
    log.WriteLine("usage: guest-agent-bench [model|storm|footprint|request|startup|vm|virtio-mem|libvirt|autoscale|all][,SCENARIO…] [--blocks N] [--runs N] [--events N] [--requests N] [--idle S] [--rounds N] [--unplug-rounds N] [--wave-minutes N] [--binary NAME=PATH] [--floor PATH] [--host PATH]");
    return 2;
}

Console.Out.Write(FigureTable.Format(figures));
return figures.All(f => f.MeetsTarget) ? 0 : 1;
