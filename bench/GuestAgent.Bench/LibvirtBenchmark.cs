using System.Diagnostics;
using System.Xml.Linq;
using GuestAgent.VmHarness;

namespace GuestAgent.Bench;

/// <summary>
/// The libvirt backend against bare QEMU, in one run, the same guest and agent: <c>guest-agent-host plug 256M</c> (to
/// the guest reporting the DIMM online) and the prepared unplug of an empty DIMM, each through QMP in a guest QEMU runs
/// for the test, then through a private libvirtd; and our prepared unplug of a Movable DIMM holding 200 MiB against
/// a plain <c>virsh detach-device</c> of an unprepared one holding as much (the guest kernel offlines it itself on the
/// eject request, as Red Hat's own libvirt tests unplug), to it being gone from the domain XML. The two guests run one
/// after the other, never together.
/// </summary>
public static class LibvirtBenchmark
{
    public static async Task<IReadOnlyList<BenchFigure>> RunAsync(int rounds, TextWriter log)
    {
        List<double> qmpPlug, qmpUnplug;
        await using (var vm = await TestVm.StartAsync())
        {
            await vm.StartAgentAsync();
            (qmpPlug, qmpUnplug) = await PlugUnplugRoundsAsync(vm, rounds);
        }

        await using var libvirt = await LibvirtDaemon.StartAsync();
        List<double> libvirtPlug, libvirtUnplug;
        double ours, plain;
        await using (var vm = await TestVm.StartUnderLibvirtAsync(libvirt))
        {
            await vm.StartAgentAsync();
            (libvirtPlug, libvirtUnplug) = await PlugUnplugRoundsAsync(vm, rounds);
            ours = await OurUnplugHoldingDataAsync(vm);
            plain = await PlainVirshDetachHoldingDataAsync(vm, libvirt);
        }

        var (qp, qu, lp, lu) = (Statistics.Median(qmpPlug), Statistics.Median(qmpUnplug), Statistics.Median(libvirtPlug), Statistics.Median(libvirtUnplug));
        log.WriteLine($"libvirt: plug QMP {Show(qmpPlug)}, libvirt {Show(libvirtPlug)}; prepared unplug QMP {Show(qmpUnplug)}, libvirt {Show(libvirtUnplug)}; holding 200 MiB: ours {ours:0.00} s, plain virsh detach-device {plain:0.00} s");
        return
        [
            new BenchFigure($"plug 256M to online in the guest, libvirt backend (median of {rounds})", lp, "s", "<= QMP + 0.2 s", lp <= qp + 0.2, qp, "same through QMP"),
            new BenchFigure($"prepared unplug of an empty DIMM, libvirt backend (median of {rounds})", lu, "s", "<= QMP + 0.2 s", lu <= qu + 0.2, qu, "same through QMP"),
            new BenchFigure("unplug of a Movable DIMM holding 200 MiB: guest-agent-host (prepared), libvirt", ours, "s", "reported", true, plain, "virsh detach-device, unprepared"),
        ];
    }

    private static async Task<(List<double> Plug, List<double> Unplug)> PlugUnplugRoundsAsync(TestVm vm, int rounds)
    {
        var plug = new List<double>();
        var unplug = new List<double>();
        for (var i = 0; i < rounds; i++)
        {
            var plugged = (await HostControllerRun.RunAsync(vm, "plug", "256M")).Check();
            plug.Add(plugged.Elapsed.TotalSeconds);
            var id = plugged.Output.Split(' ', ':')[1];
            unplug.Add((await HostControllerRun.RunAsync(vm, "unplug", id)).Check().Elapsed.TotalSeconds);
        }

        return (plug, unplug);
    }

    private static async Task<double> OurUnplugHoldingDataAsync(TestVm vm)
    {
        var plugged = (await HostControllerRun.RunAsync(vm, "plug", "256M")).Check();
        await vm.Shell.CheckAsync("dd if=/dev/zero of=/tmp/fill bs=1M count=200 2>/dev/null", TimeSpan.FromMinutes(3));
        var run = (await HostControllerRun.RunAsync(vm, "unplug", plugged.Output.Split(' ', ':')[1])).Check();
        await vm.Shell.RunAsync("rm -f /tmp/fill");
        return run.Elapsed.TotalSeconds;
    }

    private static async Task<double> PlainVirshDetachHoldingDataAsync(TestVm vm, LibvirtDaemon libvirt)
    {
        var device = Path.Combine(vm.SharedDirectory, "plain-dimm.xml");
        await File.WriteAllTextAsync(device, "<memory model='dimm'><target><size unit='MiB'>256</size><node>0</node></target><alias name='ua-plain'/></memory>");
        await libvirt.VirshCheckAsync("attach-device", vm.DomainName!, device, "--live");
        await vm.WaitInGuestAsync("test \"$(cat /sys/devices/system/memory/memory3[2-3]/valid_zones | sort -u)\" = Movable", "the DIMM Movable", TimeSpan.FromSeconds(60));
        await vm.Shell.CheckAsync("dd if=/dev/zero of=/tmp/fill bs=1M count=200 2>/dev/null", TimeSpan.FromMinutes(3));
        var watch = Stopwatch.StartNew();
        await libvirt.VirshAsync("detach-device", vm.DomainName!, device, "--live");
        while (XDocument.Parse(await libvirt.VirshCheckAsync("dumpxml", vm.DomainName!)).Descendants("alias").Any(a => (string?)a.Attribute("name") == "ua-plain"))
        {
            if (watch.Elapsed > TimeSpan.FromMinutes(2))
            {
                throw new TimeoutException("virsh detach-device: the DIMM is still in the domain after 2 minutes");
            }

            await Task.Delay(50);
        }

        var elapsed = watch.Elapsed.TotalSeconds;
        await vm.Shell.RunAsync("rm -f /tmp/fill");
        return elapsed;
    }

    private static string Show(List<double> values) => string.Join(", ", values.Select(v => v.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture))) + " s";
}
