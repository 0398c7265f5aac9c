using System.Globalization;
using System.Text.Json;
using GuestAgent.Protocol.Model;
using GuestAgent.VmHarness;

namespace GuestAgent.Vm.Tests;

/// <summary>
/// The guest agent on a real Linux kernel in QEMU: hot-plugged DIMMs are onlined Movable with no manual step, the model
/// matches QEMU's view, and the contract suites run against the guest kernel's own sysfs. Facts are read from the
/// guest kernel through the control shell, not from the agent.
/// </summary>
[Collection(GuestVmCollection.Name)]
public sealed class GuestKernelTests(GuestVmFixture vm)
{
    [Fact]
    public async Task HotPluggedDimmsBecomeMovableAndReadyWithoutAManualStep()
    {
        await vm.EnsureTwoDimmsAsync();

        var zones = await vm.Vm.Shell.CheckAsync("cat /sys/devices/system/memory/memory3[2-5]/valid_zones");
        Assert.Equal(["Movable", "Movable", "Movable", "Movable"], zones.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        // Other tests of this guest may have plugged DIMMs too (every plugged DIMM is online here): the guest's memory
        // grew by exactly what QEMU says is plugged, 512 MiB of it ours.
        var memTotalKb = long.Parse((await vm.Vm.Shell.CheckAsync("awk '/MemTotal/ {print $2}' /proc/meminfo")).Trim(), CultureInfo.InvariantCulture);
        var all = (await vm.Qmp.ExecuteAsync("query-memory-devices"))!.AsArray();
        Assert.Equal(all.Sum(d => d!["data"]!["size"]!.GetValue<long>()) / 1024, memTotalKb - vm.BootMemTotalKb);

        var json = await vm.Vm.Shell.CheckAsync($"{VmImage.AgentBinary()} scan --json");
        var report = JsonSerializer.Deserialize(json, ModelJsonContext.Default.ModelReport)!;
        var devices = all.Where(d => d!["data"]!["id"]!.GetValue<string>() is "dimm0" or "dimm1").ToList();
        Assert.Equal(2, devices.Count);
        foreach (var device in devices)
        {
            var data = device!["data"]!;
            var slot = data["slot"]!.GetValue<int>();
            var dimm = report.Dimms.Single(d => d.Slot == slot);
            Assert.Equal(data["addr"]!.GetValue<long>(), dimm.Start);
            Assert.Equal(data["size"]!.GetValue<long>(), dimm.Size);
            Assert.Equal("ready", dimm.Readiness);
            Assert.StartsWith("all 2 blocks online in Movable; the rest of the guest can take what it holds", dimm.Reason, StringComparison.Ordinal);
            Assert.Equal($"slot{slot}", dimm.Id);
        }
    }

    [Fact]
    public async Task TheContractSuitesPassOnTheGuestKernel()
    {
        await vm.EnsureTwoDimmsAsync();
        var tests = Path.Combine(VmImage.RepositoryRoot(), "tests", "GuestAgent.Memory.Tests", "bin",
            new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name, "net10.0", "GuestAgent.Memory.Tests.dll");

        var (code, output) = await vm.Vm.Shell.RunAsync(
            $"GUEST_AGENT_REAL_HOTPLUG=1 dotnet {tests} -noColor -class GuestAgent.Memory.Tests.Contract.RealKernelContractTests -class GuestAgent.Memory.Tests.Contract.RealKernelWriterTests 2>&1",
            TimeSpan.FromMinutes(5));

        Assert.True(code == 0, output);
        Assert.Matches(@"Total: \d+, Errors: 0, Failed: 0, Skipped: [01],", output);
    }
}
