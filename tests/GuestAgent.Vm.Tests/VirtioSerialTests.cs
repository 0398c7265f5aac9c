using System.Globalization;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using GuestAgent.Protocol.Client;
using GuestAgent.Protocol.Messages;
using GuestAgent.Protocol;
using GuestAgent.VmHarness;

namespace GuestAgent.Vm.Tests;

/// <summary>The protocol over the VM's real virtio-serial port, from the host end of its chardev socket.</summary>
[Collection(GuestVmCollection.Name)]
public sealed class VirtioSerialTests(GuestVmFixture vm)
{
    private async Task<ProtocolClient> ConnectAsync()
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(vm.Vm.AgentSocket));
        return new ProtocolClient(new NetworkStream(socket, ownsSocket: true));
    }

    private static async Task<JsonObject> NextEventAsync(ProtocolClient client, string name, TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        return await client.WaitForEventAsync(name, timeout.Token);
    }

    [Fact]
    public Task TheHostGetsTheWholeStateOnEveryReconnect() => vm.WithGuestLogAsync(async () =>
    {
        await vm.EnsureTwoDimmsAsync();
        for (var i = 0; i < 4; i++)
        {
            await using var client = await ConnectAsync();
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var hello = await client.HelloAsync(["events"], limit.Token);
            var ready = await NextEventAsync(client, EventNames.AgentReady, TimeSpan.FromSeconds(60));

            Assert.Equal(128L << 20, hello.BlockSize);
            Assert.Contains(ready["data"]!["model"]!["dimms"]!.AsArray(), d => d!["id"]!.GetValue<string>() == "slot0");
        }

        var log = await vm.Vm.Shell.CheckAsync("cat /tmp/agent.log");
        Assert.Contains("host on org.guestagent.memory.0 (connection", log);
        Assert.Equal("1", (await vm.Vm.Shell.CheckAsync("pgrep -fc 'aot/guest-agent run'")).Trim()); // still the same agent
    });

    [Fact]
    public Task APreparedDimmIsUnpluggedByQemuAndLeavesTheGuest() => vm.WithGuestLogAsync(async () =>
    {
        await vm.EnsureTwoDimmsAsync();
        await using var client = await ConnectAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await client.HelloAsync(["events"], limit.Token);
        await vm.Qmp.PlugDimmAsync("dimm-unplug", 256L << 20);
        var slot = (await vm.Qmp.ExecuteAsync("query-memory-devices"))!.AsArray()
            .Single(d => d!["data"]!["id"]!.GetValue<string>() == "dimm-unplug")!["data"]!["slot"]!.GetValue<int>();
        await vm.Vm.WaitInGuestAsync(
            $"test \"$(cat /sys/bus/acpi/devices/PNP0C80:{slot:x2}/physical_node*/valid_zones | sort -u)\" = Movable", "the new DIMM Movable", TimeSpan.FromSeconds(60));
        var before = await MemTotalKbAsync();

        var prepared = await client.ExecuteAsync(CommandNames.PrepareUnplug, new JsonObject { ["slot"] = slot }, ProtocolJsonContext.Default.OperationReturn, limit.Token);
        await vm.Qmp.ExecuteAsync("device_del", new Dictionary<string, object> { ["id"] = "dimm-unplug" });
        await vm.Qmp.WaitForEventAsync("DEVICE_DELETED", e => e["data"]?["device"]?.GetValue<string>() == "dimm-unplug", TimeSpan.FromSeconds(60));
        await vm.Qmp.ExecuteAsync("object-del", new Dictionary<string, object> { ["id"] = "mem-dimm-unplug" });

        Assert.True(prepared.Ok, prepared.Message);
        Assert.Equal("ready", prepared.Readiness);
        Assert.Equal(256 * 1024, before - await MemTotalKbAsync());
        await vm.Vm.WaitInGuestAsync($"! ls /sys/bus/acpi/devices/PNP0C80:{slot:x2}/physical_node 2>/dev/null", "the blocks gone", TimeSpan.FromSeconds(30));
    });

    private async Task<long> MemTotalKbAsync() =>
        long.Parse((await vm.Vm.Shell.CheckAsync("awk '/MemTotal/ {print $2}' /proc/meminfo")).Trim(), CultureInfo.InvariantCulture);
}
