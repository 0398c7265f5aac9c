using System.Globalization;
using System.Xml.Linq;
using GuestAgent.VmHarness;

namespace GuestAgent.Vm.Tests;

/// <summary>
/// virtio-mem through libvirt: <c>guest-agent-host --connect --domain</c> resizes the domain's
/// <c>&lt;memory model='virtio-mem'&gt;</c> (<c>virDomainUpdateDeviceFlags</c> with a new <c>requested</c>);
/// <c>virsh dumpxml</c>'s <c>current</c> and the guest kernel are the witnesses.
/// </summary>
public sealed class LibvirtVirtioMemScenarios(LibvirtVirtioMemVm vm) : IClassFixture<LibvirtVirtioMemVm>
{
    private const long M = 1L << 20;

    /// <summary>The device in libvirt's live XML: (requested, current) in bytes.</summary>
    private async Task<(long Requested, long Current)> VirshDeviceAsync()
    {
        var xml = XDocument.Parse(await vm.Libvirt.VirshCheckAsync("dumpxml", vm.Domain));
        var target = xml.Root!.Element("devices")!.Elements("memory").Single(m => (string?)m.Attribute("model") == "virtio-mem").Element("target")!;
        return ((long)target.Element("requested")! * 1024, (long?)target.Element("current") * 1024 ?? 0);
    }

    [Fact]
    public Task SetMemoryGrowsAndShrinksTheDomainsVirtioMemDevice() => vm.WithGuestLogAsync(async () =>
    {
        using var timing = new ScenarioTimings("libvirt: virtio-mem grow and shrink");
        var status = await vm.StatusAsync();
        var boot = status["boot-memory"]!.GetValue<long>();
        var row = Assert.Single(status["virtio-mem"]!.AsArray())!;
        Assert.Equal(TestDomainXml.VirtioMemAlias, row["id"]!.GetValue<string>());
        Assert.Equal(1L << 30, row["max-size"]!.GetValue<long>());

        var grow = (await vm.HostAsync("set-memory", ((boot + (256 * M)) / M).ToString(CultureInfo.InvariantCulture) + "M")).Check();
        timing.Step($"grown by 256 MiB in {grow.Elapsed.TotalSeconds:0.0} s");
        Assert.Contains($"through virtio-mem {TestDomainXml.VirtioMemAlias}", grow.Output, StringComparison.Ordinal);
        Assert.Equal((256 * M, 256 * M), await VirshDeviceAsync());
        await vm.Vm.WaitInGuestAsync(
            "test $(for i in 32 33; do cat /sys/devices/system/memory/memory$i/valid_zones 2>/dev/null; done | grep -cx Movable) = 2",
            "the two new blocks Movable", TimeSpan.FromSeconds(60));
        var grown = Assert.Single((await vm.StatusAsync())["virtio-mem"]!.AsArray())!;
        Assert.Equal(256 * M, grown["guest-plugged"]!.GetValue<long>());
        Assert.Equal("ready", grown["readiness"]!.GetValue<string>());

        var shrink = (await vm.HostAsync("set-memory", (boot / M).ToString(CultureInfo.InvariantCulture) + "M")).Check();
        timing.Step($"shrunk back in {shrink.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal((0L, 0L), await VirshDeviceAsync());
        await vm.Vm.WaitInGuestAsync("! ls -d /sys/devices/system/memory/memory32 2>/dev/null", "the blocks gone from the guest", TimeSpan.FromSeconds(60));
    });

    [Fact]
    public Task AutoscaleThroughLibvirtGrowsToTheMinimumMeetsAStaircaseAndGivesBackToTheMinimum() => vm.WithGuestLogAsync(async () =>
    {
        using var timing = new ScenarioTimings("libvirt: autoscale to --min, a staircase, given back to --min");
        var boot = (await vm.StatusAsync())["boot-memory"]!.GetValue<long>();
        Assert.Equal((0L, 0L), await VirshDeviceAsync());
        try
        {
            await vm.Vm.Shell.CheckAsync("dmesg -c > /dev/null");
            using var autoscale = AutoscaleRun.Start(vm.Vm, "--min", ((boot + (256 * M)) / M).ToString(CultureInfo.InvariantCulture) + "M", "--max", "2G", "--window", "10");
            var first = await autoscale.WaitForAsync("autoscale-done", TimeSpan.FromSeconds(90));
            timing.Step($"{autoscale.Of("autoscale-grow")[0]["message"]}; {first["message"]}");
            Assert.Contains("is below the minimum", autoscale.Of("autoscale-grow")[0]["message"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal((256 * M, 256 * M), await VirshDeviceAsync());

            var stairs = await vm.Vm.Shell.RunAsync($"python3 {VmImage.RepositoryRoot()}/tests/vm/load.py stairs 192 3 1152 3 > /tmp/stairs.log 2>&1", TimeSpan.FromMinutes(3));
            var peak = await VirshDeviceAsync();
            var kills = (await vm.Vm.Shell.CheckAsync("dmesg | grep -c 'Out of memory: Killed process' || true")).Trim();
            timing.Step($"staircase: exit {stairs.Code}, {kills} OOM kill(s), the device at {peak.Current / M} MiB after {autoscale.Of("autoscale-grow").Count} grow(s)");
            Assert.True(stairs.Code == 0, $"the staircase ended with {stairs.Code}:\n{await vm.Vm.Shell.CheckAsync("cat /tmp/stairs.log; dmesg | tail -20")}\n{autoscale.Printed}");
            Assert.Equal("0", kills);
            Assert.True(peak.Current > 256 * M, autoscale.Printed);

            var watch = System.Diagnostics.Stopwatch.StartNew();
            while ((await VirshDeviceAsync()).Current > 256 * M)
            {
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(90), "not given back to the minimum within 90 s:\n" + autoscale.Printed);
                await Task.Delay(500);
            }

            timing.Step($"given back to the minimum in {autoscale.Of("autoscale-shrink").Count} step(s)");
            Assert.Equal((256 * M, 256 * M), await VirshDeviceAsync());
            Assert.Empty(autoscale.Of("autoscale-failed"));
            Assert.Equal(0, await autoscale.TerminateAsync(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            (await vm.HostAsync("set-memory", (boot / M).ToString(CultureInfo.InvariantCulture) + "M")).Check();
        }
    });
}
