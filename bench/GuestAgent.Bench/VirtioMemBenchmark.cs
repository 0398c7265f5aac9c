using System.Diagnostics;
using System.Globalization;
using GuestAgent.VmHarness;

namespace GuestAgent.Bench;

/// <summary>
/// virtio-mem in the real guest (Debian's 6.1 kernel under QEMU/TCG, a 1 GiB <c>virtio-mem-pci</c> device with 2 MiB
/// blocks at 4 GiB): time from <c>qom-set requested-size</c> 512 MiB to every block the driver added (memory32-35)
/// online Movable, with the agent onlining them and with the kernel's own onlining alone
/// (<c>auto_online_blocks=online_movable</c>) in the same guest and run; and <c>guest-agent-host set-memory</c>
/// shrinking the device by 512 MiB, empty and holding 300 MB of tmpfs data, against QEMU's own shrink (requested-size
/// lowered with no agent in the guest: the driver offlines and unplugs by itself).
/// </summary>
public static class VirtioMemBenchmark
{
    private const long M = 1L << 20;

    // Shell built-ins only: memory32-35 online and Movable (valid_zones read only once a block says online).
    private const string Wait = "m=/sys/devices/system/memory; n=0; while [ $n -lt 2000000 ]; do n=$((n+1)); ok=1; for i in 32 33 34 35; do s=; [ -r $m/memory$i/state ] && read s < $m/memory$i/state; if [ \"$s\" = online ]; then read z < $m/memory$i/valid_zones; [ \"$z\" = Movable ] || ok=0; else ok=0; fi; done; [ $ok = 1 ] && exit 0; done; exit 1";

    public static async Task<IReadOnlyList<BenchFigure>> RunAsync(int rounds, TextWriter log)
    {
        await using var vm = await TestVm.StartAsync(kernel: "6.1", virtioMem: true);
        await using var qmp = await QmpTestClient.ConnectAsync(vm.QmpSocket);
        await vm.StartAgentAsync();
        log.WriteLine($"virtio-mem vm: booted in {vm.BootTime.TotalSeconds:0.0} s");

        var agent = new List<double>();
        for (var i = 0; i < rounds; i++)
        {
            agent.Add(await GrowTimeAsync(vm, qmp));
            await ShrinkToZeroAsync(qmp);
        }

        await vm.StopAgentAsync();
        await vm.Shell.CheckAsync("echo online_movable > /sys/devices/system/memory/auto_online_blocks");
        var kernel = new List<double>();
        for (var i = 0; i < rounds; i++)
        {
            kernel.Add(await GrowTimeAsync(vm, qmp));
            await ShrinkToZeroAsync(qmp);
        }

        await vm.Shell.CheckAsync("echo offline > /sys/devices/system/memory/auto_online_blocks");
        await vm.StartAgentAsync();
        log.WriteLine($"virtio-mem vm: requested-size 512 MiB to all Movable: agent {Show(agent)}; kernel alone {Show(kernel)}");

        var boot = (await qmp.ExecuteAsync("query-memory-size-summary"))!["base-memory"]!.GetValue<long>();
        string Size(long bytes) => (bytes / M).ToString(CultureInfo.InvariantCulture) + "M";
        (await HostControllerRun.RunAsync(vm, "set-memory", Size(boot + (512 * M)))).Check();
        await vm.WaitInGuestAsync(Wait, "memory32-35 Movable", TimeSpan.FromSeconds(60));
        var empty = (await HostControllerRun.RunAsync(vm, "set-memory", Size(boot))).Check().Elapsed.TotalSeconds;

        (await HostControllerRun.RunAsync(vm, "set-memory", Size(boot + (512 * M)))).Check();
        await vm.WaitInGuestAsync(Wait, "memory32-35 Movable", TimeSpan.FromSeconds(60));
        await vm.Shell.CheckAsync("mkdir -p /tmp/vmem && mount -t tmpfs -o size=2G vmem /tmp/vmem && dd if=/dev/zero of=/tmp/vmem/data bs=1M count=300 2>&1", TimeSpan.FromMinutes(3));
        var full = (await HostControllerRun.RunAsync(vm, "set-memory", Size(boot))).Check().Elapsed.TotalSeconds;
        await vm.Shell.CheckAsync("rm -f /tmp/vmem/data");

        // QEMU's own: requested-size lowered with no agent in the guest (the driver offlines and unplugs by itself).
        await vm.StopAgentAsync();
        await vm.Shell.CheckAsync("echo online_movable > /sys/devices/system/memory/auto_online_blocks");
        await GrowTimeAsync(vm, qmp);
        var qemuEmpty = await ShrinkToZeroAsync(qmp);
        await GrowTimeAsync(vm, qmp);
        await vm.Shell.CheckAsync("dd if=/dev/zero of=/tmp/vmem/data bs=1M count=300 2>&1", TimeSpan.FromMinutes(3));
        var qemuFull = await ShrinkToZeroAsync(qmp);
        await vm.Shell.CheckAsync("rm -f /tmp/vmem/data; echo offline > /sys/devices/system/memory/auto_online_blocks");
        await vm.StartAgentAsync();
        log.WriteLine($"virtio-mem vm: set-memory -512 MiB empty {empty:0.00} s, holding 300 MB {full:0.00} s; QEMU's own (requested-size, no agent) empty {qemuEmpty:0.00} s, holding 300 MB {qemuFull:0.00} s");

        var agentMedian = Statistics.Median(agent);
        var kernelMedian = Statistics.Median(kernel);
        return
        [
            new BenchFigure($"virtio-mem +512 MiB to every block Movable, agent (median of {rounds})", agentMedian, "s", "<= 1.5x the kernel's own", agentMedian <= 1.5 * kernelMedian, kernelMedian, "kernel auto-online movable"),
            new BenchFigure("virtio-mem set-memory -512 MiB, empty (whole guest-agent-host run)", empty, "s", "reported", true, qemuEmpty, "QEMU's own shrink, no agent"),
            new BenchFigure("virtio-mem set-memory -512 MiB, holding 300 MB (whole guest-agent-host run)", full, "s", "reported", true, qemuFull, "QEMU's own shrink, no agent"),
        ];
    }

    /// <summary>Seconds from <c>qom-set requested-size</c> 512 MiB to memory32-35 online Movable (a busy loop of shell built-ins in the guest).</summary>
    private static async Task<double> GrowTimeAsync(TestVm vm, QmpTestClient qmp)
    {
        var waiting = vm.Shell.RunAsync(Wait, TimeSpan.FromMinutes(2));
        await Task.Delay(TimeSpan.FromSeconds(1));
        var watch = Stopwatch.StartNew();
        await qmp.ExecuteAsync("qom-set", new Dictionary<string, object> { ["path"] = TestVm.VirtioMemId, ["property"] = "requested-size", ["value"] = 512 * M });
        var (code, output) = await waiting;
        var elapsed = watch.Elapsed.TotalSeconds;
        return code == 0 ? elapsed : throw new InvalidOperationException($"virtio-mem blocks not Movable: {output}\n{(await vm.Shell.RunAsync("dmesg | tail -20")).Output}");
    }

    /// <summary>Lowers requested-size to 0 and returns seconds until QEMU's size says 0 (polled every 50 ms).</summary>
    private static async Task<double> ShrinkToZeroAsync(QmpTestClient qmp)
    {
        var watch = Stopwatch.StartNew();
        await qmp.ExecuteAsync("qom-set", new Dictionary<string, object> { ["path"] = TestVm.VirtioMemId, ["property"] = "requested-size", ["value"] = 0 });
        while ((await qmp.ExecuteAsync("query-memory-devices"))!.AsArray().Single(d => d!["type"]!.GetValue<string>() == "virtio-mem")!["data"]!["size"]!.GetValue<long>() != 0)
        {
            if (watch.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new InvalidOperationException("virtio-mem did not shrink to 0 within 60 s");
            }

            await Task.Delay(50);
        }

        return watch.Elapsed.TotalSeconds;
    }

    private static string Show(List<double> times) => $"median {Statistics.Median(times):0.000} s of [{string.Join(", ", times.Select(t => t.ToString("0.000", CultureInfo.InvariantCulture)))}]";
}
