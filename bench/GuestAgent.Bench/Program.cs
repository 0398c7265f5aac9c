using GuestAgent.Bench;

// guest-agent-bench [model|storm|all] [--blocks N] [--runs N] [--events N]
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

if (figures.Count == 0)
{
    log.WriteLine("usage: guest-agent-bench [model|storm|all] [--blocks N] [--runs N] [--events N]");
    return 2;
}

Console.Out.Write(FigureTable.Format(figures));
return figures.All(f => f.MeetsTarget) ? 0 : 1;
