using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using GuestAgent.VmHarness;

namespace GuestAgent.Bench;

/// <summary>
/// In the real guest (Debian's kernel under QEMU/TCG): time from <c>device_add</c> of a 256 MiB DIMM to every block
/// Movable, with the agent (which lets the kernel online movable memory itself), with the agent onlining from user space
/// (<c>Memory:KernelAutoOnline=false</c>), and with the kernel's own onlining alone (<c>auto_online_blocks=online_movable</c>,
/// what <c>memhp_default_state=online_movable</c> sets at boot), and with udev onlining it (the real systemd-udevd in
/// the guest with the project's drop-in as its only rule, no agent running: the rule's <c>online_movable</c> branch),
/// in the same guest and run; and the host controller's unplug, of an empty DIMM and of one holding data.
/// </summary>
public static partial class VmBenchmark
{
    // Shell built-ins only (no process per look): the waiter sees the change as soon as it is scheduled. It reads
    // valid_zones only once a block says online: on Debian's 6.1 kernel, reading valid_zones of a block still being
    // added (its node not yet set) dereferences a NULL node in zone_for_pfn_range and kills the reader (seen here).
    private const string Wait = "m=/sys/devices/system/memory; n=0; while [ $n -lt 2000000 ]; do n=$((n+1)); a=; b=; s=; t=; [ -r $m/memory32/state ] && read s < $m/memory32/state; [ -r $m/memory33/state ] && read t < $m/memory33/state; if [ \"$s $t\" = 'online online' ]; then read a < $m/memory32/valid_zones; read b < $m/memory33/valid_zones; [ \"$a $b\" = 'Movable Movable' ] && exit 0; fi; done; exit 1";

    private const string Fill200 = "dd if=/dev/zero of=/tmp/fill bs=1M count=200 2>/dev/null";

    private const long M = 1L << 20;

    public static async Task<IReadOnlyList<BenchFigure>> RunAsync(int rounds, int unplugRounds, TextWriter log)
    {
        await using var vm = await TestVm.StartAsync();
        await using var qmp = await QmpTestClient.ConnectAsync(vm.QmpSocket);
        await vm.StartAgentAsync();
        log.WriteLine($"vm: booted in {vm.BootTime.TotalSeconds:0.0} s");

        var agent = await RoundsWithTheAgentAsync(vm, qmp, "a", rounds);

        // The agent without its kernel fast path: it hears the uevent and writes online_movable itself.
        await vm.StopAgentAsync();
        await vm.Shell.CheckAsync("echo '{\"Memory\":{\"KernelAutoOnline\":false}}' > /tmp/no-kernel-auto-online.json; mv /tmp/agent.log /tmp/agent.1.log");
        await vm.StartAgentAsync("--config /tmp/no-kernel-auto-online.json");
        var userSpace = await RoundsWithTheAgentAsync(vm, qmp, "u", rounds);

        await vm.StopAgentAsync();
        await vm.Shell.CheckAsync("echo online_movable > /sys/devices/system/memory/auto_online_blocks");
        var kernel = await RoundsWithoutTheAgentAsync(vm, qmp, "k", rounds);

        await vm.Shell.CheckAsync("echo offline > /sys/devices/system/memory/auto_online_blocks");
        var udev = await RoundsWithUdevAsync(vm, qmp, "d", rounds);
        await vm.StartAgentAsync();
        log.WriteLine($"vm: device_add to all Movable: agent {Show(agent)}; agent without the kernel fast path {Show(userSpace)}; kernel alone {Show(kernel)}; udev rule {Show(udev)}");

        // Not measured: the guest's first removal of a DIMM holding data is slow whichever way it is removed (measured
        // in one guest, plain device_del first: 1.32 s, then 0.92, 0.91 s; prepared after it 1.14, 1.11, 1.09 s), the
        // kernel's page migration running for the first time under TCG. Whichever came first paid it; now neither.
        var warm = await PlainRemovalAsync(vm, qmp, "warm", 256, hold: Fill200);
        log.WriteLine($"vm: warm-up removal of a DIMM holding 200 MiB (not counted): {warm:0.000} s");
        var emptyRuns = new List<(double Delete, double Whole)>();
        var fullRuns = new List<(double Delete, double Whole)>();
        var plainEmpty = new List<double>();
        var plainFull = new List<double>();
        for (var i = 0; i < unplugRounds; i++)
        {
            emptyRuns.Add(await UnplugAsync(vm, fill: false));
            plainEmpty.Add(await PlainRemovalAsync(vm, qmp, $"pe{i}", 256, hold: null));
            fullRuns.Add(await UnplugAsync(vm, fill: true));
            plainFull.Add(await PlainRemovalAsync(vm, qmp, $"pf{i}", 256, hold: Fill200));
        }

        var (emptyDelete, emptyWhole) = (Statistics.Median(emptyRuns.Select(r => r.Delete).ToList()), Statistics.Median(emptyRuns.Select(r => r.Whole).ToList()));
        var (fullDelete, fullWhole) = (Statistics.Median(fullRuns.Select(r => r.Delete).ToList()), Statistics.Median(fullRuns.Select(r => r.Whole).ToList()));
        log.WriteLine($"vm: unplug empty {Show(emptyRuns.Select(r => r.Whole).ToList())} (device_del {emptyDelete:0.00} s; plain device_del {Show(plainEmpty)}), "
                      + $"holding 200 MiB {Show(fullRuns.Select(r => r.Whole).ToList())} (device_del {fullDelete:0.00} s; plain device_del {Show(plainFull)})");
        var big = new List<(double Prepared, double Plain)>();
        for (var i = 0; i < unplugRounds; i++)
        {
            big.Add(await BigDimmAsync(vm, qmp, i, log));
        }

        var (bigPrepared, bigPlain) = (Statistics.Median(big.Select(b => b.Prepared).ToList()), Statistics.Median(big.Select(b => b.Plain).ToList()));

        // After an offline the next one's writer waits (started ahead): its own memory, next to the agent's.
        var waiting = (await vm.Shell.CheckAsync(
            "r=; for d in /proc/[0-9]*; do case \"$(tr '\\0' ' ' < $d/cmdline 2>/dev/null)\" in *' write-state - ') r=$(sed -n 's/^RssAnon:[[:space:]]*\\([0-9]*\\) kB/\\1/p' $d/status); break;; esac; done; echo ${r:-none}")).Trim();
        var waitingMib = long.TryParse(waiting, CultureInfo.InvariantCulture, out var waitingKb) ? waitingKb / 1024.0 : double.NaN;
        log.WriteLine($"vm: the writer waiting for the next offline: RssAnon {(double.IsNaN(waitingMib) ? "none running" : $"{waitingMib:0.00} MiB")}");
        var (plainEmptyMedian, plainFullMedian) = (Statistics.Median(plainEmpty), Statistics.Median(plainFull));

        var agentMedian = Statistics.Median(agent);
        var kernelMedian = Statistics.Median(kernel);
        return
        [
            new BenchFigure($"device_add to every block Movable, agent (median of {rounds})", agentMedian, "s", "<= 1.5x the kernel's own", agentMedian <= 1.5 * kernelMedian, kernelMedian, "kernel auto-online movable"),
            new BenchFigure($"same, agent with Memory:KernelAutoOnline=false (median of {rounds})", Statistics.Median(userSpace), "s", "reported", true, kernelMedian, "kernel auto-online movable"),
            new BenchFigure($"same, udev drop-in alone in systemd-udevd, no agent (median of {rounds})", Statistics.Median(udev), "s", "reported", true, kernelMedian, "kernel auto-online movable"),
            new BenchFigure($"device_add to every block Movable, agent against the udev drop-in (median of {rounds})", agentMedian, "s", "reported", true, Statistics.Median(udev), "udev drop-in"),
            new BenchFigure($"unplug of an empty 256 MiB DIMM: device_del to DEVICE_DELETED after the prepare (median of {unplugRounds})", emptyDelete, "s", "reported", true),
            new BenchFigure($"unplug of an empty 256 MiB DIMM: whole guest-agent-host unplug (median of {unplugRounds})", emptyWhole, "s", "<= 0.25 s", emptyWhole <= 0.25, plainEmptyMedian, "plain device_del"),
            new BenchFigure($"unplug of a 256 MiB DIMM holding 200 MiB: device_del to DEVICE_DELETED after the prepare (median of {unplugRounds})", fullDelete, "s", "reported", true),
            new BenchFigure($"unplug of a 256 MiB DIMM holding 200 MiB: whole guest-agent-host unplug (median of {unplugRounds})", fullWhole, "s", "<= 1.25x plain device_del", fullWhole <= 1.25 * plainFullMedian, plainFullMedian, "plain device_del (the kernel offlines it)"),
            new BenchFigure($"unplug of a 2 GiB DIMM (16 blocks) holding 1 GiB: whole guest-agent-host unplug (median of {unplugRounds})", bigPrepared, "s", "<= 1.25x plain device_del", bigPrepared <= 1.25 * bigPlain, bigPlain, "plain device_del (the kernel offlines it)"),
            new BenchFigure("the offline writer waiting for the next prepare (started ahead): RssAnon", waitingMib, "MiB", "reported (it exists after the first offline)", !double.IsNaN(waitingMib)),
        ];
    }

    /// <summary>
    /// Rounds of plug, time to Movable and unplug with systemd-udevd running in the guest (the host root's binary, in a
    /// private mount namespace: the repository's udev/ as its only rules, a fresh /run), no agent and the kernel's own
    /// onlining off. Ended by its process id.
    /// </summary>
    private static async Task<List<double>> RoundsWithUdevAsync(TestVm vm, QmpTestClient qmp, string prefix, int rounds)
    {
        var rules = Path.Combine(VmImage.RepositoryRoot(), "udev");
        await vm.Shell.CheckAsync(
            $"(unshare -m sh -c 'mount --bind {rules} /etc/udev/rules.d && mount --bind {rules} /usr/lib/udev/rules.d && mount -t tmpfs tmpfs /run && exec /usr/lib/systemd/systemd-udevd' > /tmp/udevd.log 2>&1 & echo $! > /tmp/udevd.pid)");
        await vm.WaitInGuestAsync("kill -0 $(cat /tmp/udevd.pid) && sleep 2 && kill -0 $(cat /tmp/udevd.pid)", "systemd-udevd running", TimeSpan.FromSeconds(60));
        try
        {
            return await RoundsWithoutTheAgentAsync(vm, qmp, prefix, rounds);
        }
        finally
        {
            await vm.Shell.RunAsync("kill $(cat /tmp/udevd.pid)");
        }
    }

    /// <summary>Rounds of plug, time to Movable, and removal with QEMU alone, whatever onlines the memory.</summary>
    private static async Task<List<double>> RoundsWithoutTheAgentAsync(TestVm vm, QmpTestClient qmp, string prefix, int rounds)
    {
        var times = new List<double>();
        for (var i = 0; i < rounds; i++)
        {
            times.Add(await PlugTimeAndRemoveAsync(vm, qmp, $"{prefix}{i}"));
        }

        return times;
    }

    /// <summary>Rounds of plug, time to Movable, and the host controller's unplug (the agent prepares) while the agent runs.</summary>
    private static async Task<List<double>> RoundsWithTheAgentAsync(TestVm vm, QmpTestClient qmp, string prefix, int rounds)
    {
        var times = new List<double>();
        for (var i = 0; i < rounds; i++)
        {
            times.Add(await OnlineLatencyAsync(vm, qmp, $"{prefix}{i}"));
            (await HostControllerRun.RunAsync(vm, "unplug", $"{prefix}{i}")).Check();
        }

        return times;
    }

    /// <summary>Plugs a 256 MiB DIMM at 4 GiB and returns seconds from device_add to memory32-33 Movable (a busy loop of shell built-ins in the guest).</summary>
    private static async Task<double> OnlineLatencyAsync(TestVm vm, QmpTestClient qmp, string id)
    {
        await qmp.ExecuteAsync("object-add", new Dictionary<string, object> { ["qom-type"] = "memory-backend-ram", ["id"] = "mem-" + id, ["size"] = 256L << 20 });
        var waiting = vm.Shell.RunAsync(Wait, TimeSpan.FromMinutes(2));
        await Task.Delay(TimeSpan.FromSeconds(1));
        var watch = Stopwatch.StartNew();
        await qmp.ExecuteAsync("device_add", new Dictionary<string, object> { ["driver"] = "pc-dimm", ["id"] = id, ["memdev"] = "mem-" + id });
        var (code, output) = await waiting;
        var elapsed = watch.Elapsed.TotalSeconds;
        return code == 0
            ? elapsed
            : throw new InvalidOperationException($"{id} not Movable: {output}\n{(await vm.Shell.RunAsync("dmesg | tail -20")).Output}");
    }

    /// <summary>Time to Movable as <see cref="OnlineLatencyAsync"/>, then the DIMM removed with QEMU alone (no agent to prepare it).</summary>
    private static async Task<double> PlugTimeAndRemoveAsync(TestVm vm, QmpTestClient qmp, string id)
    {
        var elapsed = await OnlineLatencyAsync(vm, qmp, id);
        await DeleteWithQemuAsync(qmp, id, TimeSpan.FromSeconds(60));
        return elapsed;
    }

    private static async Task<(double Delete, double Whole)> UnplugAsync(TestVm vm, bool fill)
    {
        (await HostControllerRun.RunAsync(vm, "plug", "256M")).Check();
        var id = await NewestDimmAsync(vm);
        if (fill)
        {
            await vm.Shell.CheckAsync(Fill200, TimeSpan.FromMinutes(3));
        }

        var run = (await HostControllerRun.RunAsync(vm, "unplug", id)).Check();
        await vm.Shell.RunAsync("rm -f /tmp/fill");
        var timing = Timing().Match(run.Output);
        return (double.Parse(timing.Groups[1].Value, CultureInfo.InvariantCulture), double.Parse(timing.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// The peer of a prepared unplug: a DIMM plugged with QEMU alone (the agent onlines it Movable), optionally filled,
    /// then removed with a plain <c>device_del</c>: the guest kernel offlines it itself during the ACPI eject.
    /// </summary>
    private static async Task<double> PlainRemovalAsync(TestVm vm, QmpTestClient qmp, string id, long mib, string? hold)
    {
        await PlugWithQemuAsync(vm, qmp, id, mib);
        if (hold is not null)
        {
            await vm.Shell.CheckAsync(hold, TimeSpan.FromMinutes(5));
        }

        var elapsed = await DeleteWithQemuAsync(qmp, id);
        await vm.Shell.RunAsync("rm -f /tmp/fill");
        return elapsed;
    }

    /// <summary><c>object-add</c> and <c>device_add</c> of a DIMM, then waits for all its blocks online (and 2 s more for the agent to settle).</summary>
    private static async Task PlugWithQemuAsync(TestVm vm, QmpTestClient qmp, string id, long mib)
    {
        const string Count = "ls -d /sys/devices/system/memory/memory[0-9]* | wc -l";
        var before = int.Parse((await vm.Shell.CheckAsync(Count)).Trim(), CultureInfo.InvariantCulture);
        await qmp.PlugDimmAsync(id, mib * M);
        await vm.WaitInGuestAsync(
            $"m=/sys/devices/system/memory; [ $({Count}) -ge {before + (mib / 128)} ] && ! grep -q offline $m/memory[0-9]*/state",
            $"{id}'s blocks online", TimeSpan.FromSeconds(120));
        await vm.Shell.CheckAsync("sleep 2");
    }

    /// <summary>A plain <c>device_del</c>: seconds to <c>DEVICE_DELETED</c> (waited for up to <paramref name="limit"/>, 10 min by default); its backend goes too.</summary>
    private static async Task<double> DeleteWithQemuAsync(QmpTestClient qmp, string id, TimeSpan? limit = null)
    {
        var watch = Stopwatch.StartNew();
        await qmp.ExecuteAsync("device_del", new Dictionary<string, object> { ["id"] = id });
        await qmp.WaitForEventAsync("DEVICE_DELETED", e => e["data"]?["device"]?.GetValue<string>() == id, limit ?? TimeSpan.FromMinutes(10));
        var elapsed = watch.Elapsed.TotalSeconds;
        await qmp.ExecuteAsync("object-del", new Dictionary<string, object> { ["id"] = "mem-" + id });
        return elapsed;
    }

    /// <summary>
    /// A 2 GiB DIMM (16 blocks) holding 1 GiB of a process's memory (taken after that DIMM was the only Movable
    /// memory), with a 1 GiB DIMM plugged beside it afterwards to take that memory: the host controller's prepared
    /// unplug against a plain <c>device_del</c> of the same layout.
    /// </summary>
    private static async Task<(double Prepared, double Plain)> BigDimmAsync(TestVm vm, QmpTestClient qmp, int round, TextWriter log)
    {
        var load = $"python3 {VmImage.RepositoryRoot()}/tests/vm/load.py stairs 256 0 1024 3600";
        async Task HoldAsync()
        {
            await vm.Shell.CheckAsync($"(setsid {load} > /tmp/hold.log 2>&1 < /dev/null & echo $! > /tmp/hold.pid)");
            await vm.WaitInGuestAsync("grep -q 'held 1024 MiB' /tmp/hold.log", "1 GiB held", TimeSpan.FromMinutes(5));
        }

        async Task ReleaseAsync() => await vm.Shell.RunAsync("kill $(cat /tmp/hold.pid); sleep 2");

        (await HostControllerRun.RunAsync(vm, "plug", "2G")).Check();
        var big = await NewestDimmAsync(vm);
        await HoldAsync();
        (await HostControllerRun.RunAsync(vm, "plug", "1G")).Check();
        var room = await NewestDimmAsync(vm);
        var run = (await HostControllerRun.RunAsync(vm, "unplug", big)).Check();
        var prepared = double.Parse(Timing().Match(run.Output).Groups[2].Value, CultureInfo.InvariantCulture);
        await ReleaseAsync();
        (await HostControllerRun.RunAsync(vm, "unplug", room)).Check();

        await PlugWithQemuAsync(vm, qmp, $"pb{round}", 2048);
        await HoldAsync();
        await PlugWithQemuAsync(vm, qmp, $"pr{round}", 1024);
        var plain = await DeleteWithQemuAsync(qmp, $"pb{round}");
        await ReleaseAsync();
        await DeleteWithQemuAsync(qmp, $"pr{round}");
        log.WriteLine($"vm: 2 GiB DIMM holding 1 GiB: prepared unplug {prepared:0.00} s ({run.Output.Trim().Replace('\n', ' ')}), plain device_del {plain:0.00} s");
        return (prepared, plain);
    }

    /// <summary>The last DIMM <c>guest-agent-host status</c> lists: the one plugged last.</summary>
    private static async Task<string> NewestDimmAsync(TestVm vm) =>
        (await HostControllerRun.RunAsync(vm, "status", "--json")).Check().Output is var json && DimmId().Matches(json) is { Count: > 0 } ids
            ? ids[^1].Groups[1].Value
            : throw new InvalidOperationException("no DIMM");

    private static string Show(List<double> values) => string.Join(", ", values.Select(v => v.ToString("0.000", CultureInfo.InvariantCulture))) + " s";

    [GeneratedRegex("\"id\": \"(ga-dimm\\d+)\"")]
    private static partial Regex DimmId();

    [GeneratedRegex(@"removal ([0-9.]+) s, whole unplug ([0-9.]+) s")]
    private static partial Regex Timing();
}
