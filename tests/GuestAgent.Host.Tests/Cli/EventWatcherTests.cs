using System.Text.Json.Nodes;
using GuestAgent.Host.Agent;
using GuestAgent.Host.Cli;
using GuestAgent.Host.Qmp;
using GuestAgent.Host.Tests.Support;
using GuestAgent.TestSupport;

namespace GuestAgent.Host.Tests.Cli;

public sealed class EventWatcherTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PrintsQemusAndTheGuestsEventsAsTheyComeAndStopsWhenQemuGoes()
    {
        var qemu = new SimulatedQemu();
        await using var agent = new ScriptedAgent(qemu);
        var qmp = await QmpHypervisor.ConnectAsync(qemu.Path, TimeSpan.FromSeconds(5), Token);
        await using var link = await AgentLink.ConnectAsync(agent.Path, TimeSpan.FromSeconds(5), Token);
        var output = new StringWriter();
        // RunAsync subscribes to QEMU's events before its first await, so they are seen from the moment it returns.
        var watching = new EventWatcher(TextWriter.Synchronized(output), json: true).RunAsync(qmp, link, Token);

        await qemu.SendEventAsync("DEVICE_DELETED", new JsonObject { ["device"] = "ga-dimm0", ["path"] = "/machine/peripheral/ga-dimm0" });
        await agent.SendAsync("""{"event":"BLOCK_OFFLINED","data":{"block":"memory32"},"timestamp":{"seconds":1,"microseconds":0}}""");
        await Eventually.TrueAsync(() => output.ToString().Contains("BLOCK_OFFLINED", StringComparison.Ordinal) && output.ToString().Contains("DEVICE_DELETED", StringComparison.Ordinal), "both events printed");
        await qemu.DisposeAsync();
        var code = await watching.WaitAsync(TimeSpan.FromSeconds(10), Token);
        await qmp.DisposeAsync();

        Assert.Equal(0, code);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Contains(lines, l => l["source"]!.GetValue<string>() == "qemu" && l["event"]!.GetValue<string>() == "DEVICE_DELETED" && l["data"]!["device"]!.GetValue<string>() == "ga-dimm0");
        Assert.Contains(lines, l => l["source"]!.GetValue<string>() == "guest" && l["event"]!.GetValue<string>() == "BLOCK_OFFLINED");
        Assert.Equal("CONNECTION_CLOSED", lines[^1]["event"]!.GetValue<string>());
    }
}
