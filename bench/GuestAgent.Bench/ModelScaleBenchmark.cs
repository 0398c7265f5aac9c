using System.Diagnostics;
using GuestAgent.Memory.Agent;
using GuestAgent.Memory.Capacity;
using GuestAgent.Memory.Policy;
using GuestAgent.Memory.Proc;
using GuestAgent.Memory.Sysfs;

namespace GuestAgent.Bench;

/// <summary>Builds the model of a 65,536-block guest (fake tree on tmpfs) and measures time and memory.</summary>
public static class ModelScaleBenchmark
{
    public static IReadOnlyList<BenchFigure> Run(int blocks, int runs, TextWriter log)
    {
        var setup = Stopwatch.StartNew();
        using var tree = ScaleTree.Build(blocks, bootBlocks: 1024, blocksPerDimm: 256, dimmState: "online");
        log.WriteLine($"model: built a fake tree of {blocks} blocks in {setup.Elapsed.TotalSeconds:0.0} s");

        var reader = new SysfsMemoryReader(tree.Root);
        var warm = reader.Read();
        if (warm.Blocks.Count != blocks || warm.Problems.Count != 0)
        {
            throw new InvalidOperationException($"the model has {warm.Blocks.Count} blocks and {warm.Problems.Count} problems, expected {blocks} and none");
        }

        GC.Collect();
        var rssBefore = ProcessMemory.ResidentMiB();
        var times = new List<double>();
        long allocated = 0;
        for (var i = 0; i < runs; i++)
        {
            var before = GC.GetTotalAllocatedBytes(precise: true);
            var watch = Stopwatch.StartNew();
            var snapshot = reader.Read();
            times.Add(watch.Elapsed.TotalSeconds);
            allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
            GC.KeepAlive(snapshot);
        }

        GC.Collect();
        var rssAfter = ProcessMemory.ResidentMiB();

        // What holds the model's time: the same reads (open, read, close each) with nothing built from them, split over
        // the cores the same way: valid_zones per block, and where that does not say online, state.
        var floors = new List<double>();
        var ids = warm.Blocks.Select(b => b.Id).ToArray();
        for (var i = 0; i < runs; i++)
        {
            var watch = Stopwatch.StartNew();
            var fd = LibcFile.OpenDirectoryPath(tree.Root.MemoryDirectory, out _);
            var chunk = Math.Max(512, ids.Length / (Environment.ProcessorCount * 4));
            Parallel.ForEach(System.Collections.Concurrent.Partitioner.Create(0, ids.Length, chunk), range =>
            {
                for (var j = range.Item1; j < range.Item2; j++)
                {
                    if (SysfsValueParser.OnlineZone(LibcFile.TryReadBlockAttribute(fd, ids[j], "valid_zones"u8, out _)) is null)
                    {
                        _ = LibcFile.TryReadBlockAttribute(fd, ids[j], "state"u8, out _);
                    }
                }
            });
            LibcFile.CloseFd(fd);
            floors.Add(watch.Elapsed.TotalSeconds);
        }

        var floor = Statistics.Median(floors);

        // What get-model adds to the model since "ready means safe": a fresh reading of the kernel's accounting (this
        // machine's /proc) and the view built from it: readiness with the capacity check for every DIMM, the plug
        // budget, the hazards.
        var capacity = new CapacityReader(ProcRoot.Default);
        var checks = new List<double>();
        for (var i = 0; i < Math.Max(runs, 5) + 20; i++)
        {
            // The first 20 are the JIT's warm-up (the agent as shipped is compiled ahead of time): not counted.
            var watch = Stopwatch.StartNew();
            var view = AgentViewBuilder.Build(warm, OnlinePolicy.Default, capacity.Read(), 128L << 20);
            if (i >= 20)
            {
                checks.Add(watch.Elapsed.TotalSeconds);
            }

            GC.KeepAlive(view);
        }

        times.Sort();
        checks.Sort();
        var median = Statistics.Median(times);
        var check = Statistics.Median(checks);
        log.WriteLine($"model: {runs} reads, min {times[0]:0.000} s, median {median:0.000} s, max {times[^1]:0.000} s; {warm.Dimms.Count} DIMMs; capacity check median {check * 1000:0.0} ms; the reads alone median {floor:0.000} s");
        return
        [
            new BenchFigure($"model of {blocks} blocks (median of {runs})", median, "s", "<= 0.4 s", median <= 0.4, floor, "its sysfs reads alone (valid_zones per block, state too where not online; nothing built)"),
            new BenchFigure($"capacity check per get-model ({warm.Dimms.Count} DIMMs: /proc read, readiness, plug budget)", check * 1000, "ms", "reported", true),
            new BenchFigure($"model + capacity check of {blocks} blocks", median + check, "s", "reported", true),
            new BenchFigure("allocated per model build", allocated / 1048576.0, "MiB", "flat (not growing)", true),
            new BenchFigure($"RSS growth over {runs} builds", rssAfter - rssBefore, "MiB", "< 64 MiB", rssAfter - rssBefore < 64),
        ];
    }
}
