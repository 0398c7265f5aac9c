using System.Diagnostics;
using GuestAgent.Memory.Agent;
using GuestAgent.Memory.Model;
using GuestAgent.Memory.Sysfs;
using GuestAgent.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuestAgent.Bench;

/// <summary>
/// 4,096 memory blocks appear at once and 4,096 add events arrive in a burst: the agent must online every one
/// (none lost), and this measures how long it takes.
/// </summary>
public static class UeventStormBenchmark
{
    public static async Task<IReadOnlyList<BenchFigure>> RunAsync(int events, TextWriter log)
    {
        using var tree = new FakeSysfsTree(parentDirectory: ScaleTree.Parent);
        tree.AddBootMemory(8);
        var writer = new FakeKernelBlockStateWriter(tree);
        var uevents = new FakeUeventSource();
        using var runtime = new TemporaryDirectory();
        var options = new MemoryAgentOptions { SysfsRoot = tree.RootPath, RuntimeDirectory = runtime.Path, ResyncInterval = TimeSpan.FromHours(1) };
        var agent = new MemoryAgent(options, writer, NullLogger<MemoryAgent>.Instance);
        using var stop = new CancellationTokenSource();
        var running = agent.RunAsync(uevents, stop.Token);
        await WaitAsync(() => agent.View.Snapshot.Blocks.Count == 8, TimeSpan.FromSeconds(30));

        ScaleTree.AddDimms(tree, 32, events, blocksPerDimm: 8, state: "offline");
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < events; i++)
        {
            uevents.SendMemory("add", 32 + i);
        }

        var allOnline = await WaitAsync(
            () => new SysfsMemoryReader(tree.Root).Read().Blocks.Count(b => b.State == BlockState.Online && b.Zone == ZoneNames.Movable) == events,
            TimeSpan.FromSeconds(120));
        var elapsed = watch.Elapsed.TotalSeconds;
        var online = new SysfsMemoryReader(tree.Root).Read().Blocks.Count(b => b.Zone == ZoneNames.Movable);
        await stop.CancelAsync();
        await running;
        log.WriteLine($"storm: {events} add events, {online} blocks onlined movable in {elapsed:0.00} s, {writer.Writes.Count} writes");
        return
        [
            new BenchFigure($"{events} add events: blocks lost", events - online, "blocks", "0", allOnline && online == events),
            new BenchFigure($"{events} add events: time to all Movable", elapsed, "s", "(reported)", allOnline),
        ];
    }

    private static async Task<bool> WaitAsync(Func<bool> condition, TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < limit)
        {
            if (condition())
            {
                return true;
            }

            await Task.Delay(20);
        }

        return condition();
    }
}
