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
    public Task AutoscaleBringsTheDomainUpToItsMinimumThroughLibvirt() => vm.WithGuestLogAsync(async () =>
    {
        using var timing = new ScenarioTimings("libvirt: autoscale grows the virtio-mem device to --min");
        var boot = (await vm.StatusAsync())["boot-memory"]!.GetValue<long>();
        Assert.Equal((0L, 0L), await VirshDeviceAsync());
        try
        {
            using var autoscale = AutoscaleRun.Start(vm.Vm, "--min", ((boot + (256 * M)) / M).ToString(CultureInfo.InvariantCulture) + "M", "--max", "2G", "--window", "30");
            var grow = await autoscale.WaitForAsync("autoscale-done", TimeSpan.FromSeconds(90));
            timing.Step($"{autoscale.Of("autoscale-grow")[0]["message"]}; {grow["message"]}");
            Assert.Contains("is below the minimum", autoscale.Of("autoscale-grow")[0]["message"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal((256 * M, 256 * M), await VirshDeviceAsync());
            Assert.Equal(0, await autoscale.TerminateAsync(TimeSpan.FromSeconds(30)));
            Assert.Single(autoscale.Of("autoscale-grow"));
        }
        finally
        {
            (await vm.HostAsync("set-memory", (boot / M).ToString(CultureInfo.InvariantCulture) + "M")).Check();
        }
    });
}
