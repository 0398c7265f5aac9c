using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using GuestAgent.TestSupport;
using GuestAgent.VmHarness;

namespace GuestAgent.Vm.Tests;

/// <summary>
/// Scenarios 1, 2 and 5 of the end-to-end issue on one guest, each starting from boot memory only
/// (<c>set-memory 1G</c>): the real host controller against the real QEMU and the real agent in a real kernel.
/// </summary>
public sealed class PlugAndShrinkScenarios(ScenarioVm vm) : IClassFixture<ScenarioVm>
{
    private const long M = 1L << 20;

    private async Task BackToBootMemoryAsync()
    {
        if ((await vm.QemuDimmsAsync()).Count > 0)
        {
            (await vm.HostAsync("set-memory", "1G")).Check();
        }

        Assert.Empty(await vm.QemuDimmsAsync());
    }

    [Fact]
    public Task PluggedDimmsAreMovableReadyAndShownWithTheirSlotsAndAddresses() => vm.WithGuestLogAsync(async () =>
    {
        using var timing = new ScenarioTimings("scenario 1: plug two 256 MiB DIMMs");
        await BackToBootMemoryAsync();
        var before = await vm.MemTotalKbAsync();
        var events = new ConcurrentQueue<string>();
        using var watch = HostControllerRun.StartWatch(vm.Vm, events);
        await Task.Delay(TimeSpan.FromSeconds(2)); // the watcher connects (a .NET start)

        var first = (await vm.HostAsync("plug", "256M")).Check();
        var second = (await vm.HostAsync("plug", "256M")).Check();
        timing.Step($"plugged and onlined in {first.Elapsed.TotalSeconds:0.0} s and {second.Elapsed.TotalSeconds:0.0} s");

        var dimms = await vm.QemuDimmsAsync();
        Assert.Equal(2, dimms.Count);
        foreach (var (_, (_, addr, size)) in dimms)
        {
            Assert.All(await vm.GuestBlocksAsync(addr, size), b => Assert.Equal("online Movable", b));
        }

        var status = await vm.StatusAsync();
        foreach (var row in status["dimms"]!.AsArray())
        {
            var (slot, addr, size) = dimms[row!["id"]!.GetValue<string>()];
            Assert.Equal(slot, row["slot"]!.GetValue<int>());
            Assert.Equal(addr, row["addr"]!.GetValue<long>());
            Assert.Equal(size, row["size"]!.GetValue<long>());
            Assert.Equal("ready", row["readiness"]!.GetValue<string>());
            Assert.Equal("Movable", row["guest-zones"]![0]!.GetValue<string>());
        }

        Assert.Equal(512 * 1024, await vm.MemTotalKbAsync() - before);
        Assert.Contains("blocks online in Movable", first.Output, StringComparison.Ordinal);

        // watch saw QEMU announce both DIMMs to the guest (ACPI_DEVICE_OST, source 1 = device check, status 0).
        await Eventually.TrueAsync(() => events.Count(IsInsertOst) >= 2, "two insert _OST events from watch", TimeSpan.FromSeconds(30));
        watch.Kill();
        await watch.WaitForExitAsync();
    });

    private static bool IsInsertOst(string line)
    {
        var e = JsonNode.Parse(line)!;
        return e["source"]?.GetValue<string>() == "qemu" && e["event"]?.GetValue<string>() == "ACPI_DEVICE_OST"
               && e["data"]?["info"]?["source"]?.GetValue<int>() == 1 && e["data"]?["info"]?["status"]?.GetValue<int>() == 0;
    }

    [Fact]
    public Task TheOvirtShrinkEndsAt1408MiB() => vm.WithGuestLogAsync(async () =>
    {
        using var timing = new ScenarioTimings("scenario 2: oVirt shrink 1792 MiB -> set-memory 1400M");
        await BackToBootMemoryAsync();
        foreach (var size in new[] { "256M", "256M", "128M", "128M" })
        {
            (await vm.HostAsync("plug", size)).Check();
        }

        var before = await vm.QemuDimmsAsync();
        Assert.Equal(768 * M, before.Values.Sum(d => d.Size));
        timing.Step("four DIMMs plugged");

        var run = (await vm.HostAsync("set-memory", "1400M")).Check();
        timing.Step($"set-memory took {run.Elapsed.TotalSeconds:0.0} s");

        var after = await vm.QemuDimmsAsync();
        Assert.Contains("memory is now 1408 MiB", run.Output, StringComparison.Ordinal);
        Assert.Equal([128 * M, 256 * M], after.Values.Select(d => d.Size).Order());
        Assert.Equal(384 * 1024, await vm.MemTotalKbAsync() - vm.BootMemTotalKb);
        foreach (var (id, (_, addr, size)) in before.Where(d => !after.ContainsKey(d.Key)))
        {
            Assert.All(await vm.GuestBlocksAsync(addr, size), b => Assert.Equal("absent", b));
            Assert.Contains("unplugged " + id, run.Output, StringComparison.Ordinal);
        }

        Assert.Equal(1408 * M, (await vm.StatusAsync())["current-memory"]!.GetValue<long>());
    });

    [Fact]
    public Task TheAgentKeepsWorkingAcrossHostReconnects() => vm.WithGuestLogAsync(async () =>
    {
        using var timing = new ScenarioTimings("scenario 5: host reconnects");
        await BackToBootMemoryAsync();
        (await vm.HostAsync("plug", "256M")).Check();
        var pid = (await vm.Vm.Shell.CheckAsync("cat /tmp/agent.pid")).Trim();

        for (var i = 0; i < 4; i++)
        {
            // A host that connects, sends half a request and junk, and goes away; then a whole controller run.
            using (var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(vm.Vm.AgentSocket));
                await socket.SendAsync(Encoding.UTF8.GetBytes("\u0001\u0002junk\n{\"execute\":\"get-mo"), SocketFlags.None);
            }

            var status = await vm.StatusAsync();
            Assert.True(status["agent-connected"]!.GetValue<bool>(), status.ToJsonString());
            Assert.Equal("ready", Assert.Single(status["dimms"]!.AsArray())!["readiness"]!.GetValue<string>());
        }

        (await vm.HostAsync("plug", "128M")).Check();
        var final = await vm.StatusAsync();
        Assert.Equal(2, final["dimms"]!.AsArray().Count);
        Assert.All(final["dimms"]!.AsArray(), d => Assert.Equal("ready", d!["readiness"]!.GetValue<string>()));
        Assert.Equal(pid, (await vm.Vm.Shell.CheckAsync("cat /tmp/agent.pid")).Trim());
        Assert.Equal(0, (await vm.Vm.Shell.RunAsync($"kill -0 {pid}")).Code);
    });
}
