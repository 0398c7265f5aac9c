using System.Globalization;
using System.Text.RegularExpressions;
using GuestAgent.VmHarness;

namespace GuestAgent.Bench;

/// <summary>
/// <c>guest-agent-host autoscale</c> on a 6.1 guest of 1 GiB (QEMU/TCG, DIMMs through QMP, the agent reporting every
/// second), the loads of <c>tests/vm/load.py</c> run in the guest: the reaction from the guest falling under its
/// buffer (a step on top of a settled level) to new memory online Movable; a staircase (192 MiB every 3 s to 1600 MiB) with and without autoscale: OOM kills,
/// the VM's peak memory against the load's, time stalled on memory (PSI full total); a square wave (700 MiB held 5 s,
/// freed 5 s) for some minutes: its grows and shrinks.
/// </summary>
public static partial class AutoscaleBenchmark
{
    private const long M = 1L << 20;

    public static async Task<IReadOnlyList<BenchFigure>> RunAsync(int rounds, int waveMinutes, TextWriter log)
    {
        await using var vm = await TestVm.StartAsync(kernel: "6.1");
        await using var qmp = await QmpTestClient.ConnectAsync(vm.QmpSocket);
        await vm.StartAgentAsync();
        var load = $"python3 {VmImage.RepositoryRoot()}/tests/vm/load.py";
        log.WriteLine($"autoscale vm: booted in {vm.BootTime.TotalSeconds:0.0} s");

        async Task<long> PluggedAsync() => (await qmp.ExecuteAsync("query-memory-devices"))!.AsArray().Sum(d => d!["data"]!["size"]!.GetValue<long>());
        async Task<int> OomKillsAsync() => int.Parse((await vm.Shell.CheckAsync("dmesg | grep -c 'Out of memory: Killed process' || true")).Trim(), CultureInfo.InvariantCulture);
        async Task<double> StalledAsync() => double.Parse(FullTotal().Match(await vm.Shell.CheckAsync("cat /proc/pressure/memory")).Groups[1].Value, CultureInfo.InvariantCulture) / 1e6;
        async Task GivenBackAsync()
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            while (await PluggedAsync() > 0 && watch.Elapsed < TimeSpan.FromMinutes(3))
            {
                await Task.Delay(500);
            }
        }

        // Reaction: 448 MiB held for 12 s (the level the guest settles at), then 288 MiB more at once, which takes the
        // 1 GiB guest under its 20 % buffer: from that onset (measured in the guest) to a new block online Movable, 0
        // when autoscale came first; and from the step's start. A fresh autoscale each round (no earlier high).
        var reactions = new List<double>();
        var fromStep = new List<double>();
        for (var i = 0; i < rounds; i++)
        {
            using var autoscale = AutoscaleRun.Start(vm, "--min", "1G", "--max", "3G", "--window", "10");
            await autoscale.WaitForAsync("autoscale-agent", TimeSpan.FromSeconds(60));
            var output = await vm.Shell.CheckAsync($"{load} react 448 12 288 20 30", TimeSpan.FromMinutes(2));
            var seconds = Reaction().Match(output);
            reactions.Add(seconds.Success ? double.Parse(seconds.Groups[1].Value, CultureInfo.InvariantCulture) : double.PositiveInfinity);
            fromStep.Add(seconds.Success ? double.Parse(seconds.Groups[2].Value, CultureInfo.InvariantCulture) : double.PositiveInfinity);
            if (!seconds.Success)
            {
                log.WriteLine($"autoscale vm: round {i + 1}, no new memory within 30 s; autoscale said: {string.Join(" | ", autoscale.Events.TakeLast(4).Select(e => e["message"]))}");
            }
            await GivenBackAsync();
            await autoscale.TerminateAsync(TimeSpan.FromMinutes(2));
        }

        log.WriteLine($"autoscale vm: reaction from the onset {string.Join(", ", reactions.Select(r => r.ToString("0.00", CultureInfo.InvariantCulture)))} s; from the step's start {string.Join(", ", fromStep.Select(r => r.ToString("0.00", CultureInfo.InvariantCulture)))} s");

        // The staircase, without and then with autoscale, on the same guest.
        await vm.Shell.CheckAsync("dmesg -c > /dev/null");
        var stalledBefore = await StalledAsync();
        var without = await vm.Shell.RunAsync($"{load} stairs 192 3 1600 5 > /tmp/stairs0.log 2>&1", TimeSpan.FromMinutes(5));
        var killsWithout = await OomKillsAsync();
        var stalledWithout = await StalledAsync() - stalledBefore;
        await vm.Shell.CheckAsync("dmesg -c > /dev/null");
        long peak;
        int killsWith;
        double stalledWith;
        using (var autoscale = AutoscaleRun.Start(vm, "--min", "1G", "--max", "3G", "--window", "15"))
        {
            await autoscale.WaitForAsync("autoscale-agent", TimeSpan.FromSeconds(60));
            stalledBefore = await StalledAsync();
            var with = await vm.Shell.RunAsync($"{load} stairs 192 3 1600 5 > /tmp/stairs1.log 2>&1", TimeSpan.FromMinutes(5));
            stalledWith = await StalledAsync() - stalledBefore;
            killsWith = await OomKillsAsync();
            peak = autoscale.Of("autoscale-done").Select(d => d["data"]!["memory"]!.GetValue<long>()).DefaultIfEmpty(1L << 30).Max();
            log.WriteLine($"autoscale vm: staircase without: exit {without.Code}, {killsWithout} OOM kill(s), stalled {stalledWithout:0.00} s; with: exit {with.Code}, {killsWith} OOM kill(s), stalled {stalledWith:0.00} s, peak {peak / M} MiB in {autoscale.Of("autoscale-grow").Count} grow(s)");
            await GivenBackAsync();
            await autoscale.TerminateAsync(TimeSpan.FromMinutes(2));
        }

        // A square wave shorter than the window, for some minutes.
        var waveRounds = waveMinutes * 6;
        int grows, shrinks;
        using (var autoscale = AutoscaleRun.Start(vm, "--min", "1G", "--max", "3G", "--window", "15"))
        {
            await autoscale.WaitForAsync("autoscale-agent", TimeSpan.FromSeconds(60));
            await vm.Shell.CheckAsync($"{load} flip 700 5 5 {waveRounds} > /tmp/wave.log 2>&1", TimeSpan.FromMinutes(waveMinutes + 5));
            grows = autoscale.Of("autoscale-grow").Count;
            shrinks = autoscale.Of("autoscale-shrink").Count;
            log.WriteLine($"autoscale vm: square wave of {waveRounds} rises in {waveMinutes} min: {grows} grow(s), {shrinks} shrink(s)");
            await autoscale.TerminateAsync(TimeSpan.FromMinutes(2));
        }

        var reaction = Statistics.Median(reactions);
        return
        [
            new BenchFigure($"autoscale reaction: the guest under its buffer to new memory online Movable (median of {rounds}; 0: it came first)", reaction, "s", "<= 2 s", reaction <= 2, Statistics.Median(fromStep), "from the step's start"),
            new BenchFigure("autoscale staircase 192 MiB / 3 s to 1600 MiB: OOM kills with autoscale", killsWith, "kills", "0", killsWith == 0, killsWithout, "without autoscale"),
            new BenchFigure("autoscale staircase: the VM's peak memory (the load's peak 1600 MiB)", peak / (double)M, "MiB", "reported", true, 1600, "the load"),
            new BenchFigure("autoscale staircase: time stalled on memory (PSI full total)", stalledWith, "s", "reported", true, stalledWithout, "without autoscale"),
            new BenchFigure($"autoscale square wave 700 MiB, 5 s on / 5 s off, {waveMinutes} min: grows", grows, "grows", $"<= 1 per rise ({waveRounds})", grows <= waveRounds),
            new BenchFigure($"autoscale square wave, window 15 s: shrinks", shrinks, "shrinks", "0", shrinks == 0),
        ];
    }

    [GeneratedRegex(@"full avg10=\S+ avg60=\S+ avg300=\S+ total=(\d+)")]
    private static partial Regex FullTotal();

    [GeneratedRegex(@"reaction (\d+\.\d+) from-step (\d+\.\d+)")]
    private static partial Regex Reaction();
}
