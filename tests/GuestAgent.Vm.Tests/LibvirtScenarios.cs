using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using GuestAgent.TestSupport;
using GuestAgent.VmHarness;

namespace GuestAgent.Vm.Tests;

/// <summary>
/// The libvirt backend end to end, one step after another in one domain of a private libvirtd: the real
/// <c>guest-agent-host --connect --domain</c> against the real libvirtd, QEMU and agent; <c>virsh dumpxml</c> and
/// <c>virsh event</c> are the independent witnesses, the guest kernel's sysfs the other.
/// </summary>
public sealed class LibvirtScenarios(LibvirtGuestVm vm) : IClassFixture<LibvirtGuestVm>
{
    private const long M = 1L << 20;
    private const string AutoOnline = "/sys/devices/system/memory/auto_online_blocks";

    [Fact]
    public Task PlugShrinkKillMidUnplugAdoptAndRefuseThroughLibvirt() => vm.WithGuestLogAsync(async () =>
    {
        using var timing = new ScenarioTimings("libvirt: plug, oVirt shrink, a killed controller, adoption, refusal");
        var events = new ConcurrentQueue<string>();
        using var witness = LineCollectingProcess.Start("/usr/bin/virsh", ["-c", vm.Libvirt.Uri, "event", "--domain", vm.Domain, "--loop", "--all"], events);
        try
        {
            // 1. plug twice → every block Movable in the guest kernel → both ready; slots and addresses as libvirt says;
            // `watch` (a libvirt client like any other) prints libvirt's DEVICE_ADDED (libvirt 9.0 names a memory device
            // there by its backend object, "mem" + alias; DEVICE_REMOVED by the alias).
            var watched = new ConcurrentQueue<string>();
            using var watch = HostControllerRun.Start(vm.Vm, watched, "watch", "--json");
            await Task.Delay(TimeSpan.FromSeconds(1));
            var first = (await vm.HostAsync("plug", "256M")).Check();
            (await vm.HostAsync("plug", "256M")).Check();
            await Eventually.TrueAsync(
                () => watched.Any(l => JsonNode.Parse(l) is { } e && e["source"]?.GetValue<string>() == "libvirt" && e["event"]?.GetValue<string>() == "DEVICE_ADDED" && e["data"]?["alias"]?.GetValue<string>() is "ua-ga-dimm1" or "memua-ga-dimm1"),
                "watch printing libvirt's DEVICE_ADDED",
                TimeSpan.FromSeconds(20));
            watch.Kill();
            await watch.WaitForExitAsync();
            Assert.Contains("plugged ua-ga-dimm0", first.Output, StringComparison.Ordinal);
            var dimms = await vm.VirshDimmsAsync();
            Assert.Equal(["ua-ga-dimm0", "ua-ga-dimm1"], dimms.Keys.Order(StringComparer.Ordinal));
            var status = await vm.StatusAsync();
            Assert.Contains("libvirt", status["hypervisor"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal(8, status["slots"]!.GetValue<int>()); // from <maxMemory slots='8'>, not the command line
            foreach (var (alias, (slot, addr, size)) in dimms)
            {
                Assert.All(await vm.GuestBlocksAsync(addr, size), b => Assert.Equal("online Movable", b));
                var row = status["dimms"]!.AsArray().Single(d => d!["id"]!.GetValue<string>() == alias)!;
                Assert.Equal((slot, addr, size), (row["slot"]!.GetValue<int>(), row["addr"]!.GetValue<long>(), row["size"]!.GetValue<long>()));
                Assert.Equal("ready", row["readiness"]!.GetValue<string>());
            }

            timing.Step("two DIMMs plugged through libvirt, Movable and ready");

            // 2. The oVirt shrink: 1 GiB + 256 + 256 + 128 + 128 MiB, set-memory 1400M ends at 1408 MiB.
            foreach (var size in new[] { "128M", "128M" })
            {
                (await vm.HostAsync("plug", size)).Check();
            }

            var shrink = (await vm.HostAsync("set-memory", "1400M")).Check();
            Assert.Contains("memory is now 1408 MiB", shrink.Output, StringComparison.Ordinal);
            Assert.Equal([128 * M, 256 * M], (await vm.VirshDimmsAsync()).Values.Select(d => d.Size).Order());
            Assert.Equal(384 * 1024, await vm.MemTotalKbAsync() - vm.BootMemTotalKb);
            (await vm.HostAsync("set-memory", "1G")).Check();
            Assert.Empty(await vm.VirshDimmsAsync());
            timing.Step($"oVirt shrink in {shrink.Elapsed.TotalSeconds:0.0} s, back to boot memory");

            // 3. A controller killed (SIGKILL) while the guest prepares an unplug: the next command finds it in the
            // state file, has the guest online the DIMM again, and the DIMM is still in libvirt's XML; then it unplugs.
            (await vm.HostAsync("plug", "256M")).Check();
            var (killedAlias, (_, killedAddr, killedSize)) = (await vm.VirshDimmsAsync()).Single();
            await vm.Vm.Shell.CheckAsync("dd if=/dev/zero of=/tmp/fill bs=1M count=300 2>&1", TimeSpan.FromMinutes(3));
            var lines = new ConcurrentQueue<string>();
            using (var controller = HostControllerRun.Start(vm.Vm, lines, "unplug", killedAlias))
            {
                var firstBlock = killedAddr / (128 * M);
                await vm.Vm.WaitInGuestAsync($"grep -q offline /sys/devices/system/memory/memory{firstBlock}/state || grep -q going /sys/devices/system/memory/memory{firstBlock}/state", "the guest offlining", TimeSpan.FromSeconds(60));
                controller.Kill();
                await controller.WaitForExitAsync();
            }

            var recovered = (await vm.HostAsync("status")).Check();
            Assert.Contains(killedAlias, (await vm.VirshDimmsAsync()).Keys);
            await vm.Vm.WaitInGuestAsync(
                $"test \"$(cat /sys/devices/system/memory/memory{killedAddr / (128 * M)}/state /sys/devices/system/memory/memory{(killedAddr / (128 * M)) + 1}/state | sort -u)\" = online",
                "the DIMM online again", TimeSpan.FromSeconds(120));
            Assert.All(await vm.GuestBlocksAsync(killedAddr, killedSize), b => Assert.Equal("online Movable", b));
            (await vm.HostAsync("unplug", killedAlias)).Check();
            Assert.Empty(await vm.VirshDimmsAsync());
            await vm.Vm.Shell.RunAsync("rm -f /tmp/fill");
            timing.Step("a controller killed mid-unplug recovered: " + recovered.Output.Split('\n').FirstOrDefault(l => l.Contains(killedAlias, StringComparison.Ordinal))?.Trim());

            // 4. A DIMM an administrator attached with virsh (libvirt names it dimmN) is adopted and removed.
            await vm.AttachWithVirshAsync(256);
            var (adopted, (_, adoptedAddr, adoptedSize)) = (await vm.VirshDimmsAsync()).Single();
            Assert.DoesNotContain("ua-", adopted, StringComparison.Ordinal);
            await vm.Vm.WaitInGuestAsync(Movable(adoptedAddr, adoptedSize), "the virsh DIMM Movable", TimeSpan.FromSeconds(60));
            var adoptedRow = (await vm.StatusAsync())["dimms"]!.AsArray().Single(d => d!["id"]!.GetValue<string>() == adopted)!;
            Assert.Equal("ready", adoptedRow["readiness"]!.GetValue<string>());
            (await vm.HostAsync("unplug", adopted)).Check();
            Assert.Empty(await vm.VirshDimmsAsync());
            Assert.All(await vm.GuestBlocksAsync(adoptedAddr, adoptedSize), b => Assert.Equal("absent", b));
            timing.Step($"{adopted} attached with virsh, adopted and unplugged");

            // 5. --persistent: the plug goes into the definition the domain boots with next, and the unplug out of it;
            // by default neither touches it.
            (await vm.HostAsync("--persistent", "plug", "128M")).Check();
            var inactive = await vm.Libvirt.VirshCheckAsync("dumpxml", vm.Domain, "--inactive");
            Assert.Contains("ua-ga-dimm0", inactive, StringComparison.Ordinal);
            Assert.False((await vm.StatusAsync())["dimms"]![0]!["hotplugged"]?.GetValue<bool>() ?? false);
            (await vm.HostAsync("--persistent", "unplug", "ua-ga-dimm0")).Check();
            Assert.DoesNotContain("<memory model='dimm'", await vm.Libvirt.VirshCheckAsync("dumpxml", vm.Domain, "--inactive"), StringComparison.Ordinal);
            Assert.Empty(await vm.VirshDimmsAsync());
            timing.Step("--persistent plug and unplug in the definition too");

            // 6. A kernel-zone DIMM holding kernel allocations: not ready, refused; with --force the guest refuses the
            // eject: libvirt's DEVICE_REMOVAL_FAILED, exit 1, the DIMM still in the XML and online in the guest.
            await vm.Vm.StopAgentAsync();
            await vm.Vm.Shell.CheckAsync($"echo online > {AutoOnline}");
            await vm.AttachWithVirshAsync(256);
            var (kernel, (_, kernelAddr, kernelSize)) = (await vm.VirshDimmsAsync()).Single();
            await vm.Vm.WaitInGuestAsync(Zone(kernelAddr, kernelSize, "Normal"), "the DIMM online Normal", TimeSpan.FromSeconds(60));
            await vm.Vm.Shell.CheckAsync($"echo offline > {AutoOnline}");
            await vm.Vm.StartAgentAsync();
            await vm.Vm.Shell.CheckAsync("mkdir -p /tmp/objects && for i in $(seq 1 3000); do : > /tmp/objects/$i; done", TimeSpan.FromMinutes(5));
            var refused = await vm.HostAsync("unplug", kernel);
            Assert.Equal(1, refused.Code);
            Assert.Contains("not ready", refused.Error, StringComparison.Ordinal);
            var forced = await vm.HostAsync("unplug", kernel, "--force");
            Assert.Equal(1, forced.Code);
            Assert.Contains("DEVICE_REMOVAL_FAILED", forced.Error, StringComparison.Ordinal);
            Assert.Contains("the DIMM is still plugged", forced.Error, StringComparison.Ordinal);
            Assert.Contains(kernel, (await vm.VirshDimmsAsync()).Keys);
            await vm.Vm.WaitInGuestAsync(Zone(kernelAddr, kernelSize, "Normal"), "the DIMM online Normal again", TimeSpan.FromSeconds(60));
            timing.Step($"kernel-zone DIMM refused in {forced.Elapsed.TotalSeconds:0.0} s");

            // virsh event, the independent witness, saw the removals and the refusal.
            await Eventually.TrueAsync(() => events.Any(l => l.Contains("device-removal-failed", StringComparison.Ordinal) && l.Contains(kernel, StringComparison.Ordinal)), "virsh event: device-removal-failed", TimeSpan.FromSeconds(10));
            Assert.Contains(events, l => l.Contains("device-removed", StringComparison.Ordinal) && l.Contains("ua-ga-dimm0", StringComparison.Ordinal));
            Assert.Contains(events, l => l.Contains("device-removed", StringComparison.Ordinal) && l.Contains(adopted, StringComparison.Ordinal));
            await vm.Vm.Shell.RunAsync("rm -rf /tmp/objects");
        }
        finally
        {
            witness.Kill();
            await witness.WaitForExitAsync();
        }
    });

    private static string Movable(long addr, long size) => Zone(addr, size, "Movable");

    private static string Zone(long addr, long size, string zone)
    {
        var first = addr / (128 * M);
        var files = string.Join(' ', Enumerable.Range(0, (int)(size / (128 * M))).Select(i => $"/sys/devices/system/memory/memory{first + i}/valid_zones"));
        return $"test \"$(cat {files} | sort -u)\" = {zone}";
    }
}
