using System.Globalization;
using System.Text.Json.Nodes;
using GuestAgent.VmHarness;

namespace GuestAgent.Vm.Tests;

/// <summary>
/// virtio-mem, KubeVirt's way of hot-plugging memory, on the real kernel: <c>set-memory</c> resizes the device through
/// QMP; the agent onlines what the driver adds into Movable and reports per device how much the guest can give back;
/// a shrink with data in the guest migrates it; a shrink the guest cannot complete is caught and stopped. The guest
/// kernel (sysfs, /proc/iomem, /proc/meminfo) and QEMU (query-memory-devices) are the witnesses.
/// </summary>
public sealed class VirtioMemScenarios(VirtioMemGuestVm vm) : IClassFixture<VirtioMemGuestVm>
{
    private const long M = 1L << 20;

    private async Task<JsonNode> DeviceAsync() =>
        (await vm.Qmp.ExecuteAsync("query-memory-devices"))!.AsArray().Single(d => d!["type"]!.GetValue<string>() == "virtio-mem")!["data"]!;

    /// <summary>What the guest kernel says of the device's blocks: "online Movable" etc., one per block present.</summary>
    private async Task<IReadOnlyList<string>> GuestBlocksAsync(long addr, long size)
    {
        var first = addr / (128 * M);
        var script = $"for i in $(seq {first} {first + (size / (128 * M)) - 1}); do d=/sys/devices/system/memory/memory$i; [ -d $d ] && echo \"$(cat $d/state) $(cat $d/valid_zones)\"; done; true";
        return (await vm.Vm.Shell.CheckAsync(script)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public Task GrowIsMovableShrinkWithDataKeepsItAndAStalledShrinkIsStopped() => vm.WithGuestLogAsync(async () =>
    {
        using var timing = new ScenarioTimings("virtio-mem: grow, shrink with data, a stalled shrink");
        var boot = (await vm.Qmp.ExecuteAsync("query-memory-size-summary"))!["base-memory"]!.GetValue<long>();
        var device = await DeviceAsync();
        var addr = device["memaddr"]!.GetValue<long>();
        var maxSize = device["max-size"]!.GetValue<long>();

        // Issue 25, case 4: 30 MiB make the driver add a whole 128 MiB block; the guest reports the 30 MiB the device
        // plugged, and nothing the moment it is unplugged again (the status right after the shrink).
        (await vm.HostAsync("set-memory", ((boot + (30 * M)) / M).ToString(CultureInfo.InvariantCulture) + "M")).Check();
        await vm.Vm.WaitInGuestAsync($"grep -qx Movable /sys/devices/system/memory/memory{addr / (128 * M)}/valid_zones", "the block Movable", TimeSpan.FromSeconds(60));
        var small = Assert.Single((await vm.StatusAsync())["virtio-mem"]!.AsArray())!;
        (await vm.HostAsync("set-memory", (boot / M).ToString(CultureInfo.InvariantCulture) + "M")).Check();
        var none = Assert.Single((await vm.StatusAsync())["virtio-mem"]!.AsArray())!;
        timing.Step($"30 MiB: the guest reported {small["guest-plugged"]!.GetValue<long>() / M} MiB plugged, {small["unpluggable"]!.GetValue<long>() / M} MiB unpluggable; after the shrink {(none["guest-plugged"]?.GetValue<long>() ?? 0) / M} MiB");
        Assert.Equal((30 * M, 30 * M), (small["size"]!.GetValue<long>(), small["guest-plugged"]!.GetValue<long>()));
        Assert.True(small["unpluggable"]!.GetValue<long>() <= 30 * M, small.ToJsonString());
        Assert.Equal(0, none["size"]!.GetValue<long>());
        Assert.Equal(0, none["guest-plugged"]?.GetValue<long>() ?? 0);

        // Grow by 512 MiB: every block the driver adds goes online Movable; the agent's report matches the kernel and QEMU.
        var grow = (await vm.HostAsync("set-memory", ((boot + (512 * M)) / M).ToString(CultureInfo.InvariantCulture) + "M")).Check();
        timing.Step($"grown by 512 MiB in {grow.Elapsed.TotalSeconds:0.0} s");
        Assert.Contains("through virtio-mem vm0", grow.Output, StringComparison.Ordinal);
        Assert.Equal(512 * M, (await DeviceAsync())["size"]!.GetValue<long>());
        await vm.Vm.WaitInGuestAsync(
            $"test $(for i in $(seq {addr / (128 * M)} {(addr / (128 * M)) + 3}); do cat /sys/devices/system/memory/memory$i/valid_zones 2>/dev/null; done | grep -cx Movable) = 4",
            "the four new blocks Movable", TimeSpan.FromSeconds(60));
        Assert.Equal(["online Movable", "online Movable", "online Movable", "online Movable"], await GuestBlocksAsync(addr, maxSize));
        var iomem = await vm.Vm.Shell.CheckAsync("cat /proc/iomem");
        Assert.Contains("System RAM (virtio_mem)", iomem, StringComparison.Ordinal);
        var status = await vm.StatusAsync();
        var row = Assert.Single(status["virtio-mem"]!.AsArray())!;
        Assert.Equal(512 * M, row["size"]!.GetValue<long>());
        Assert.Equal(512 * M, row["guest-plugged"]!.GetValue<long>());
        Assert.Equal(512 * M, row["guest-movable"]!.GetValue<long>());
        Assert.Equal("ready", row["readiness"]!.GetValue<string>());
        Assert.Equal(boot + (512 * M), status["current-memory"]!.GetValue<long>());
        Assert.Empty(status["guest-only"]!.AsArray());

        // Shrink back to boot memory with 300 MB of data in the guest: it moves, nothing is lost.
        await vm.Vm.Shell.CheckAsync("mkdir -p /tmp/vmem && (grep -q ' /tmp/vmem ' /proc/mounts || mount -t tmpfs -o size=2G vmem /tmp/vmem) && dd if=/dev/urandom of=/tmp/vmem/data bs=1M count=300 2>&1 && sha256sum /tmp/vmem/data > /tmp/vmem.sum", TimeSpan.FromMinutes(3));
        var memTotalBefore = await vm.MemTotalKbAsync();
        var shrink = (await vm.HostAsync("set-memory", (boot / M).ToString(CultureInfo.InvariantCulture) + "M")).Check();
        timing.Step($"shrunk by 512 MiB holding 300 MB in {shrink.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal(0, (await DeviceAsync())["size"]!.GetValue<long>());
        Assert.Equal(0, (await vm.Vm.Shell.RunAsync("sha256sum -c /tmp/vmem.sum")).Code);
        Assert.Equal(512 * 1024, memTotalBefore - await vm.MemTotalKbAsync());
        await vm.Vm.Shell.CheckAsync("rm -f /tmp/vmem/data");

        // A shrink the guest cannot complete: memory onlined into the kernel zone with kernel objects on it.
        await vm.Vm.StopAgentAsync();
        await vm.Vm.StartAgentAsync("--policy kernel");
        (await vm.HostAsync("set-memory", ((boot + (256 * M)) / M).ToString(CultureInfo.InvariantCulture) + "M")).Check();
        await vm.Vm.WaitInGuestAsync(
            $"test \"$(cat /sys/devices/system/memory/memory{addr / (128 * M)}/valid_zones /sys/devices/system/memory/memory{(addr / (128 * M)) + 1}/valid_zones | sort -u)\" = Normal",
            "the new blocks in Normal", TimeSpan.FromSeconds(60));
        await vm.Vm.Shell.CheckAsync("for i in $(seq 1 3000); do : > /tmp/kernel-objects-$i; done", TimeSpan.FromMinutes(5));
        var refused = await vm.HostAsync("set-memory", (boot / M).ToString(CultureInfo.InvariantCulture) + "M");
        Assert.Equal(1, refused.Code);
        Assert.Contains("the guest can give back ~0 MiB of virtio-mem vm0 now", refused.Error, StringComparison.Ordinal);
        Assert.Equal(256 * M, (await DeviceAsync())["requested-size"]!.GetValue<long>());

        var stalled = await vm.HostAsync("set-memory", (boot / M).ToString(CultureInfo.InvariantCulture) + "M", "--force", "--resize-stall", "10");
        timing.Step($"stalled shrink stopped in {stalled.Elapsed.TotalSeconds:0.0} s");
        var after = await DeviceAsync();
        TestContext.Current.TestOutputHelper?.WriteLine($"{iomem}\n{grow.Output}\n{shrink.Output}\n{refused.Error}\n{stalled.Output}\n{stalled.Error}");
        Assert.Equal(1, stalled.Code);
        Assert.Contains("stopped at", stalled.Error, StringComparison.Ordinal);
        Assert.Contains("so the guest stops trying", stalled.Error, StringComparison.Ordinal);
        Assert.True(after["size"]!.GetValue<long>() > 0, "the guest gave back everything: the scenario provoked no stall");
        Assert.Equal(after["size"]!.GetValue<long>(), after["requested-size"]!.GetValue<long>());
        Assert.True(stalled.Elapsed < TimeSpan.FromSeconds(120), $"took {stalled.Elapsed}");

        // Issue 25, case 5: a guest whose plug budget is 0 (Movable may be 1 % of its kernel memory) refuses a grow
        // through virtio-mem as it refuses a DIMM; nothing is asked of QEMU.
        await vm.Vm.StopAgentAsync();
        await vm.Vm.Shell.CheckAsync("echo '{\"Memory\": {\"AutoMovableRatio\": 1}}' > /tmp/ratio.json");
        await vm.Vm.StartAgentAsync("--config /tmp/ratio.json");
        var before = await DeviceAsync();
        var budget = await vm.StatusAsync();
        var current = budget["current-memory"]!.GetValue<long>();
        var overBudget = await vm.HostAsync("set-memory", ((current + (100 * M)) / M).ToString(CultureInfo.InvariantCulture) + "M");
        timing.Step($"a grow past the plug budget ({budget["plug-budget"]}): exit {overBudget.Code}");
        Assert.Equal(0, budget["plug-budget"]!.GetValue<long>());
        Assert.Equal(1, overBudget.Code);
        Assert.Contains("cannot grow virtio-mem vm0 by 100 MiB: the guest can take only 0 B more", overBudget.Error, StringComparison.Ordinal);
        Assert.Equal(before["requested-size"]!.GetValue<long>(), (await DeviceAsync())["requested-size"]!.GetValue<long>());
    });
}
