using GuestAgent.VmHarness;

namespace GuestAgent.Vm.Tests;

/// <summary>Scenario 3: a DIMM in the kernel zone holding kernel allocations is not ready, and QEMU's refusal is caught.</summary>
public sealed class RefusalScenario(KernelZoneVm vm) : IClassFixture<KernelZoneVm>
{
    [Fact]
    public Task AKernelZoneDimmIsRefusedWithoutForceAndQemusRefusalIsReportedWithIt() => vm.WithGuestLogAsync(async () =>
    {
        using var timing = new ScenarioTimings("scenario 3: refusal of a kernel-zone DIMM");
        (await vm.HostAsync("plug", "256M")).Check();
        var (id, (_, addr, size)) = (await vm.QemuDimmsAsync()).Single();
        var first = addr / (128L << 20);
        await vm.Vm.WaitInGuestAsync(
            $"test \"$(cat /sys/devices/system/memory/memory{first}/state /sys/devices/system/memory/memory{first + 1}/state | sort -u)\" = online",
            "the DIMM online", TimeSpan.FromSeconds(60));
        Assert.All(await vm.GuestBlocksAsync(addr, size), b => Assert.StartsWith("online Normal", b, StringComparison.Ordinal));

        // ZONE_NORMAL is otherwise empty in this guest (1 GiB of boot memory is all DMA32), so kernel allocations
        // (inodes, dentries, page tables) now land on the DIMM.
        await vm.Vm.Shell.CheckAsync("for i in $(seq 1 3000); do : > /tmp/kernel-objects-$i; done", TimeSpan.FromMinutes(5));
        timing.Step("kernel allocations made");

        var status = await vm.StatusAsync();
        var row = Assert.Single(status["dimms"]!.AsArray())!;
        Assert.Equal("not-ready", row["readiness"]!.GetValue<string>());
        Assert.Contains("Normal", row["reason"]!.GetValue<string>(), StringComparison.Ordinal);

        var refused = await vm.HostAsync("unplug", id);
        Assert.Equal(1, refused.Code);
        Assert.Contains("not ready", refused.Error, StringComparison.Ordinal);
        Assert.Contains("Normal", refused.Error, StringComparison.Ordinal);
        Assert.Contains(id, (await vm.QemuDimmsAsync()).Keys);

        var forced = await vm.HostAsync("unplug", id, "--force");
        timing.Step($"forced unplug answered in {forced.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal(1, forced.Code);
        Assert.Contains("_OST status 0x82 (device busy)", forced.Error, StringComparison.Ordinal);
        Assert.Contains(id, (await vm.QemuDimmsAsync()).Keys);
        await vm.Vm.WaitInGuestAsync(
            $"test \"$(cat /sys/devices/system/memory/memory{addr / (128L << 20)}/state /sys/devices/system/memory/memory{(addr / (128L << 20)) + 1}/state | sort -u)\" = online",
            "the DIMM online again", TimeSpan.FromSeconds(60));
        var after = await vm.StatusAsync();
        Assert.Null(after["dimms"]![0]!["operation"]);
    });
}
