using System.Diagnostics;
using System.Globalization;
using GuestAgent.Demo;
using GuestAgent.VmHarness;

// The README's main job: a small guest on Debian's kernel under QEMU, the agent running in it, the host controller
// outside; plug two DIMMs, watch them become Movable and ready, shrink back to boot memory, and sum up with timings.
// With --libvirt the same guest is a domain of a private libvirtd and the controller uses the libvirt backend.
var underLibvirt = args.Contains("--libvirt");
if (args.Any(a => a != "--libvirt"))
{
    Console.Error.WriteLine("usage: guest-agent-demo [--libvirt]");
    return 2;
}

var steps = new List<DemoStep>();
var total = Stopwatch.StartNew();

void Say(string text) => Console.WriteLine(text);

void Show(string title, string text)
{
    Say($"--- {title}");
    foreach (var line in text.TrimEnd().Split('\n'))
    {
        Say("    " + line);
    }
}

Say($"GuestAgent demo: booting a 1 GiB guest (slots=8, maxmem=4G, 1 vCPU, TCG){(underLibvirt ? " as a libvirt domain" : "")} ...");
var watch = Stopwatch.StartNew();
await using var libvirt = underLibvirt ? await LibvirtDaemon.StartAsync() : null;
await using var vm = libvirt is null ? await TestVm.StartAsync() : await TestVm.StartUnderLibvirtAsync(libvirt);
steps.Add(new DemoStep(libvirt is null ? "boot the guest (Debian 6.1 kernel)" : "start a private libvirtd, define and boot the domain (Debian 6.1 kernel)", watch.Elapsed, "control shell ready"));

watch.Restart();
await vm.StartAgentAsync();
steps.Add(new DemoStep("start guest-agent in the guest (NativeAOT, as the RPM ships it)", watch.Elapsed, "first scan done, serving the host's port"));

async Task<long> MemTotalKb() =>
    long.Parse((await vm.Shell.CheckAsync("awk '/MemTotal/ {print $2}' /proc/meminfo")).Trim(), CultureInfo.InvariantCulture);

async Task<string> GuestBlocks() => await vm.Shell.CheckAsync(
    "for b in /sys/devices/system/memory/memory*; do n=${b##*/memory}; [ $n -ge 32 ] && echo \"memory$n $(cat $b/state) $(cat $b/valid_zones)\"; done; true");

var bootKb = await MemTotalKb();
Show("host: guest-agent-host status (boot memory only)", (await HostControllerRun.RunAsync(vm, "status")).Check().Output);

foreach (var size in new[] { "256M", "256M" })
{
    var plug = (await HostControllerRun.RunAsync(vm, "plug", size)).Check();
    Show($"host: guest-agent-host plug {size}", plug.Output);
    steps.Add(new DemoStep($"plug {size} until the guest reports it Movable", plug.Elapsed, plug.Output.Split('\n')[0]));
}

Show("guest kernel: hot-plugged blocks (read through the control shell, not the agent)", await GuestBlocks());
var grownKb = await MemTotalKb();
Say($"--- guest kernel: MemTotal grew by {(grownKb - bootKb) / 1024} MiB");
Show("host: guest-agent-host status", (await HostControllerRun.RunAsync(vm, "status")).Check().Output);

var shrink = (await HostControllerRun.RunAsync(vm, "set-memory", "1G")).Check();
Show("host: guest-agent-host set-memory 1G", shrink.Output);
steps.Add(new DemoStep(libvirt is null ? "set-memory 1G (prepare, device_del, DEVICE_DELETED, object-del x2)" : "set-memory 1G (prepare, detach by alias, DEVICE_REMOVED x2)", shrink.Elapsed, shrink.Output.Trim().Split('\n')[^1]));
var finalKb = await MemTotalKb();
Show("guest kernel: hot-plugged blocks after the shrink", (await GuestBlocks()).Length == 0 ? "(none)" : await GuestBlocks());

Say("");
Say("Summary");
foreach (var step in steps)
{
    Say(string.Create(CultureInfo.InvariantCulture, $"  {step.Took.TotalSeconds,6:0.0} s  {step.What}: {step.Result}"));
}

Say($"  guest MemTotal: {bootKb / 1024} MiB at boot, {grownKb / 1024} MiB with two DIMMs, {finalKb / 1024} MiB after the shrink");
Say(string.Create(CultureInfo.InvariantCulture, $"  whole demo: {total.Elapsed.TotalSeconds:0.0} s"));
var ok = grownKb - bootKb == 512 * 1024 && finalKb == bootKb;
Say(ok ? "OK: every block Movable and ready after plug, all of it released again." : "UNEXPECTED: see above.");
return ok ? 0 : 1;
