using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GuestAgent.VmHarness;

namespace GuestAgent.Vm.Tests;

/// <summary>
/// A QEMU restart, Ganeti's way: <c>guest-agent-host qemu-args</c> prints what recreates the VM's DIMMs; a new QEMU
/// started with them (and the same <c>-name</c>, so it is the same VM to the controller) gives the guest the same
/// memory, and the controller, with the state file carried over, takes the DIMMs as its own with no warning and
/// unplugs one. QEMU's <c>query-memory-devices</c> and the guest kernel are the witnesses.
/// </summary>
public sealed class RestartScenario
{
    private const long M = 1L << 20;

    private static async Task<Dictionary<string, (int Slot, long Addr, long Size, int Node)>> DimmsAsync(QmpTestClient qmp) =>
        (await qmp.ExecuteAsync("query-memory-devices"))!.AsArray().Select(d => d!["data"]!).ToDictionary(
            d => d["id"]!.GetValue<string>(),
            d => (d["slot"]!.GetValue<int>(), d["addr"]!.GetValue<long>(), d["size"]!.GetValue<long>(), d["node"]!.GetValue<int>()));

    private static async Task<long> MemTotalKbAsync(TestVm vm) =>
        long.Parse((await vm.Shell.CheckAsync("awk '/MemTotal/ {print $2}' /proc/meminfo")).Trim(), CultureInfo.InvariantCulture);

    [Fact]
    public async Task AQemuStartedWithThePrintedArgumentsHasTheSameDimmsAndTheControllerTakesThemAsTheyAre()
    {
        using var timing = new ScenarioTimings("a QEMU restart with qemu-args");
        string[] name = ["-name", "restart-" + Guid.NewGuid().ToString("N")[..8]];
        IReadOnlyList<string> arguments;
        Dictionary<string, (int, long, long, int)> before;
        long memTotalBefore;
        string state;
        await using (var first = await VmStart.StartOrSkipAsync(extraQemuArguments: name))
        {
            await using var qmp = await QmpTestClient.ConnectAsync(first.QmpSocket);
            await first.StartAgentAsync();
            (await HostControllerRun.RunAsync(first, "plug", "256M")).Check();
            (await HostControllerRun.RunAsync(first, "plug", "128M")).Check();
            var printed = (await HostControllerRun.RunAsync(first, "qemu-args", "--json")).Check();
            Assert.Equal("", printed.Error);
            arguments = JsonSerializer.Deserialize<string[]>(printed.Output)!;
            before = await DimmsAsync(qmp);
            memTotalBefore = await MemTotalKbAsync(first);
            state = await File.ReadAllTextAsync(first.HostStateFile, TestContext.Current.CancellationToken);
            timing.Step("two DIMMs plugged, arguments printed");
        }

        Assert.Equal(
            ["-object", "memory-backend-ram,id=ga-mem0,size=268435456", "-device", $"pc-dimm,id=ga-dimm0,memdev=ga-mem0,slot={before["ga-dimm0"].Item1},addr=0x{before["ga-dimm0"].Item2:x},node=0",
             "-object", "memory-backend-ram,id=ga-mem1,size=134217728", "-device", $"pc-dimm,id=ga-dimm1,memdev=ga-mem1,slot={before["ga-dimm1"].Item1},addr=0x{before["ga-dimm1"].Item2:x},node=0"],
            arguments);

        await using var second = await VmStart.StartOrSkipAsync(extraQemuArguments: [.. name, .. arguments]);
        await using var qmp2 = await QmpTestClient.ConnectAsync(second.QmpSocket);
        Assert.Equal(before, await DimmsAsync(qmp2));
        await second.StartAgentAsync();
        await File.WriteAllTextAsync(second.HostStateFile, state, TestContext.Current.CancellationToken); // the state file goes with the VM
        await second.WaitInGuestAsync(
            "test \"$(cat /sys/devices/system/memory/memory3[2-4]/valid_zones | sort -u)\" = Movable", "the DIMMs Movable in the new guest", TimeSpan.FromSeconds(60));
        Assert.Equal(memTotalBefore, await MemTotalKbAsync(second));
        timing.Step("restarted with them, the guest has the same memory");

        var status = (await HostControllerRun.RunAsync(second, "status", "--json")).Check();
        Assert.Equal("", status.Error);
        var rows = JsonNode.Parse(status.Output)!["dimms"]!.AsArray();
        Assert.Equal(["ga-dimm0", "ga-dimm1"], rows.Select(r => r!["id"]!.GetValue<string>()));
        Assert.All(rows, r => Assert.Equal("ready", r!["readiness"]!.GetValue<string>()));
        var saved = JsonNode.Parse(await File.ReadAllTextAsync(second.HostStateFile, TestContext.Current.CancellationToken))!;
        Assert.Equal(JsonNode.Parse(state)!["dimms"]!.ToJsonString(), saved["dimms"]!.ToJsonString());

        var unplug = (await HostControllerRun.RunAsync(second, "unplug", "ga-dimm1")).Check();
        timing.Step($"ga-dimm1 unplugged on the new QEMU in {unplug.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal(["ga-dimm0"], (await DimmsAsync(qmp2)).Keys);
        Assert.Equal(memTotalBefore - (128 * 1024), await MemTotalKbAsync(second));
    }
}
