using System.Globalization;
using System.Text.Json.Nodes;
using GuestAgent.VmHarness;

namespace GuestAgent.Vm.Tests;

/// <summary>
/// <c>guest-agent-host autoscale</c> through a virtio-mem device (KubeVirt's way) on a 6.1 guest of 1 GiB whose device
/// can plug up to 1 GiB: a staircase is met by growing the device, and after the window the device is shrunk by what
/// the guest says it can give back. QEMU's <c>query-memory-devices</c> and the guest kernel's log are the witnesses.
/// </summary>
public sealed class AutoscaleVirtioMemScenarios(VirtioMemGuestVm vm) : IClassFixture<VirtioMemGuestVm>
{
    private const long M = 1L << 20;

    private async Task<JsonNode> DeviceAsync() =>
        (await vm.Qmp.ExecuteAsync("query-memory-devices"))!.AsArray().Single(d => d!["type"]!.GetValue<string>() == "virtio-mem")!["data"]!;

    [Fact]
    public Task AStaircaseGrowsTheDeviceAndTheWindowShrinksItBack() => vm.WithGuestLogAsync(async () =>
    {
        using var timing = new ScenarioTimings("autoscale through virtio-mem: a staircase, then given back");
        Assert.Equal(0, (await DeviceAsync())["size"]!.GetValue<long>());
        await vm.Vm.Shell.CheckAsync("dmesg -c > /dev/null");
        using var autoscale = AutoscaleRun.Start(vm.Vm, "--min", "1G", "--max", "2G", "--window", "10");
        await autoscale.WaitForAsync("autoscale-agent", TimeSpan.FromSeconds(60));

        var stairs = await vm.Vm.Shell.RunAsync($"python3 {VmImage.RepositoryRoot()}/tests/vm/load.py stairs 64 1 1152 3 > /tmp/stairs.log 2>&1", TimeSpan.FromMinutes(3));
        var grown = (await DeviceAsync())["size"]!.GetValue<long>();
        var kills = (await vm.Vm.Shell.CheckAsync("dmesg | grep -c 'Out of memory: Killed process' || true")).Trim();
        var grows = autoscale.Of("autoscale-grow");
        timing.Step($"exit {stairs.Code}, {kills} OOM kill(s), the device grown to {grown / M} MiB in {grows.Count} step(s), the first: {grows.FirstOrDefault()?["message"]}");
        Assert.True(stairs.Code == 0, $"the staircase ended with {stairs.Code}:\n{await vm.Vm.Shell.CheckAsync("cat /tmp/stairs.log; dmesg | tail -20")}\n{autoscale.Printed}");
        Assert.Equal("0", kills);
        Assert.NotEmpty(grows);
        Assert.All(grows, g => Assert.Equal(["vm0"], g["data"]!["devices"]!.AsArray().Select(d => d!.GetValue<string>())));
        Assert.InRange(grown, 2 * M, 1024 * M);

        var watch = System.Diagnostics.Stopwatch.StartNew();
        while ((await DeviceAsync())["size"]!.GetValue<long>() > 0)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(90), "the device was not shrunk back within 90 s:\n" + autoscale.Printed);
            await Task.Delay(500);
        }

        var shrinks = autoscale.Of("autoscale-shrink");
        timing.Step(string.Create(CultureInfo.InvariantCulture, $"shrunk back in {shrinks.Count} step(s): {shrinks.FirstOrDefault()?["message"]}"));
        Assert.Contains("through virtio-mem vm0", shrinks[0]["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(0, (await DeviceAsync())["requested-size"]!.GetValue<long>());
        Assert.Empty(autoscale.Of("autoscale-failed"));
        Assert.Equal(0, await autoscale.TerminateAsync(TimeSpan.FromSeconds(30)));
    });
}
