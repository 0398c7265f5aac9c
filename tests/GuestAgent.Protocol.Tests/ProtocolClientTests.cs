using System.Text.Json.Nodes;
using GuestAgent.Protocol.Client;
using GuestAgent.Protocol.Tests.Support;

namespace GuestAgent.Protocol.Tests;

/// <summary>
/// The host's client of the agent protocol. A virtio-serial port keeps what the guest wrote while no host was
/// connected: the first lines a host reads can be an earlier conversation's greeting and events.
/// </summary>
public sealed class ProtocolClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string HelloReturn = """{"protocol":1,"agent":"guest-agent","version":"1","capabilities":["events"],"block-size":134217728,"policy":"movable"}""";

    private static string Ready(long uptime, string dimm) =>
        $$$"""{"event":"AGENT_READY","data":{"agent":{{{HelloReturn}}},"model":{"block-size":134217728,"dimms":[{"id":"{{{dimm}}}"}]},"uptime-seconds":{{{uptime}}}}}""";

    [Fact]
    public async Task EventsLeftInThePortBeforeTheGreetingOfThisHelloAreDropped()
    {
        await using var link = new PipeLink();
        await using var client = new ProtocolClient(link.ClientSide);

        var hello = client.HelloAsync(["events"], Ct);
        // The 0xFF resync byte before the request reads as U+FFFD through a UTF-8 reader.
        var sent = (await link.Sent.ReadLineAsync(Ct))!.TrimStart('\uFFFD');
        var id = JsonNode.Parse(sent)!["id"]!.GetValue<long>();
        await link.SendAsync(Ready(500, "old")); // an earlier agent's greeting, never read
        await link.SendAsync("""{"event":"AGENT_STOPPING","data":{"reason":"stopped"}}""");
        await link.SendAsync(Ready(3, "slot0"));
        await link.SendAsync("""{"event":"BLOCK_ONLINE","data":{"block":"memory32"}}""");
        await link.SendAsync($$"""{"return":{{HelloReturn}},"id":{{id}}}""");
        await link.SendAsync("""{"event":"BLOCK_ONLINE","data":{"block":"memory33"}}""");

        Assert.Equal(128L << 20, (await hello).BlockSize);
        var first = await client.Events.ReadAsync(Ct);
        Assert.Equal("slot0", first["data"]!["model"]!["dimms"]![0]!["id"]!.GetValue<string>());
        Assert.Equal("memory32", (await client.Events.ReadAsync(Ct))["data"]!["block"]!.GetValue<string>());
        Assert.Equal("memory33", (await client.Events.ReadAsync(Ct))["data"]!["block"]!.GetValue<string>());
        Assert.Equal(2, client.StaleEvents);
    }

    [Fact]
    public async Task AHelloGivenUpOnDeliversWhatWasHeldAsItCame()
    {
        await using var link = new PipeLink();
        await using var client = new ProtocolClient(link.ClientSide);
        using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var hello = client.HelloAsync(["events"], giveUp.Token);
        _ = await link.Sent.ReadLineAsync(Ct);
        await link.SendAsync(Ready(7, "slot1"));
        await link.SendAsync("""{"event":"BLOCK_ONLINE","data":{"block":"memory40"}}""");
        await WaitUntilHeldAsync(link, client);
        await giveUp.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => hello);
        Assert.Equal("AGENT_READY", (await client.Events.ReadAsync(Ct))["event"]!.GetValue<string>());
        Assert.Equal("BLOCK_ONLINE", (await client.Events.ReadAsync(Ct))["event"]!.GetValue<string>());
        Assert.Equal(0, client.StaleEvents);
    }

    [Fact]
    public async Task AnErrorReplyToHelloThrowsItsClassAndReleasesTheEvents()
    {
        await using var link = new PipeLink();
        await using var client = new ProtocolClient(link.ClientSide);

        var hello = client.HelloAsync(["events"], Ct);
        var id = JsonNode.Parse((await link.Sent.ReadLineAsync(Ct))!.TrimStart('\uFFFD'))!["id"]!.GetValue<long>();
        await link.SendAsync(Ready(1, "slot0"));
        await link.SendAsync($$"""{"error":{"class":"unsupported-protocol","desc":"protocol 9 is not spoken here"},"id":{{id}}}""");

        var e = await Assert.ThrowsAsync<ProtocolErrorException>(() => hello);
        Assert.Equal("unsupported-protocol", e.Error.Class);
        Assert.Equal("AGENT_READY", (await client.Events.ReadAsync(Ct))["event"]!.GetValue<string>());
    }

    /// <summary>The client has read the events the test sent: a request sent after them is answered after them.</summary>
    private static async Task WaitUntilHeldAsync(PipeLink link, ProtocolClient client)
    {
        var probe = client.ExecuteAsync("get-model", null, Ct);
        var id = JsonNode.Parse((await link.Sent.ReadLineAsync(Ct))!)!["id"]!.GetValue<long>();
        await link.SendAsync($$"""{"return":{},"id":{{id}}}""");
        await probe;
    }
}
