using GuestAgent.Bench;
using GuestAgent.VmHarness;

// guest-agent-bench [model|storm|footprint|request|startup|vm|virtio-mem|libvirt|autoscale|all] [--blocks N] [--runs N] [--events N]
//                   [--requests N] [--idle SECONDS] [--rounds N] [--unplug-rounds N] [--binary NAME=PATH ...] [--floor PATH] [--host PATH]
var scenario = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
}

var figures = new List<BenchFigure>();
var log = Console.Error;
log.WriteLine($"guest-agent-bench {scenario} on {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
if (scenario is "model" or "all")
{
    figures.AddRange(ModelScaleBenchmark.Run(Arg("--blocks", 65_536), Arg("--runs", 5), log));
}

if (scenario is "storm" or "all")
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

if (scenario is "footprint" or "all")
{
    var floor = args.SkipWhile(a => a != "--floor").Skip(1).FirstOrDefault();
    figures.AddRange(await FootprintBenchmark.RunAsync(agents, floor is null ? null : Path.GetFullPath(floor), Arg("--requests", 1_000), TimeSpan.FromSeconds(Arg("--idle", 60)), log));
}

if (scenario is "request" or "all")
{
    figures.AddRange(await RequestCostBenchmark.RunAsync(agents[^1], Arg("--blocks", 65_536), Arg("--runs", 5), log));
}

if (scenario is "startup" or "all")
{
    figures.AddRange(await StartupBenchmark.RunAsync(agents, Arg("--runs", 5), log));
}

if (scenario is "startup" or "all")
{
    List<(string Name, string File, string[] Prefix)> hosts = [("JIT", "dotnet", [VmImage.HostControllerDllForBench()])];
    if (args.SkipWhile(a => a != "--host").Skip(1).FirstOrDefault() is { } host && File.Exists(host))
    {
        hosts.Add(("NativeAOT", Path.GetFullPath(host), []));
    }

    figures.AddRange(await HostStartupBenchmark.RunAsync(hosts, Arg("--runs", 5), log));
}

if (scenario is "vm" or "all")
{
    figures.AddRange(await VmBenchmark.RunAsync(Arg("--rounds", 7), Arg("--unplug-rounds", 3), log));
}

if (scenario is "virtio-mem" or "all")
{
    figures.AddRange(await VirtioMemBenchmark.RunAsync(Arg("--rounds", 5), log));
}

if (scenario is "libvirt" or "all")
{
    figures.AddRange(await LibvirtBenchmark.RunAsync(Arg("--rounds", 5), log));
}

if (scenario is "autoscale" or "all")
{
    figures.AddRange(await AutoscaleBenchmark.RunAsync(Arg("--rounds", 5), Arg("--wave-minutes", 10), log));
}

if (figures.Count == 0)
{
    log.WriteLine("usage: guest-agent-bench [model|storm|footprint|request|startup|vm|virtio-mem|libvirt|autoscale|all] [--blocks N] [--runs N] [--events N] [--requests N] [--idle S] [--rounds N] [--unplug-rounds N] [--wave-minutes N] [--binary NAME=PATH] [--floor PATH] [--host PATH]");
    return 2;
}

Console.Out.Write(FigureTable.Format(figures));
return figures.All(f => f.MeetsTarget) ? 0 : 1;
