using System.Text.Json.Nodes;
using GuestAgent.Protocol.Client;
using GuestAgent.Protocol.Framing;
using GuestAgent.Protocol.Tests.Support;

namespace GuestAgent.Protocol.Tests;

/// <summary>The request/reply core under the agent's client and the host's QMP client, over an anonymous pipe pair.</summary>
public sealed class JsonLineRpcTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RepliesAreMatchedByIdEventsComeInOrderAndJunkIsCounted()
    {
        await using var link = new PipeLink();
        var events = new List<string>();
        await using var rpc = new JsonLineRpc(link.ClientSide, new JsonLineReader(link.ClientSide, 1 << 20), "the peer", e => events.Add(e["event"]!.GetValue<string>()));

        var first = rpc.RequestAsync("a", null, sentinelFirst: false, Ct);
        var second = rpc.RequestAsync("b", new JsonObject { ["x"] = 1 }, sentinelFirst: false, Ct);
        var sent = new[] { JsonNode.Parse((await link.Sent.ReadLineAsync(Ct))!)!, JsonNode.Parse((await link.Sent.ReadLineAsync(Ct))!)! };
        var idOf = sent.ToDictionary(m => m["execute"]!.GetValue<string>(), m => m["id"]!.GetValue<long>());
        await link.SendAsync("not json");
        await link.SendAsync("""{"event":"ONE"}""");
        await link.SendAsync($$"""{"return":{"b":true},"id":{{idOf["b"]}}}""");
        await link.SendAsync("""{"return":{},"id":999}""");
        await link.SendAsync("""{"event":"TWO"}""");
        await link.SendAsync($$"""{"error":{"class":"X","desc":"no"},"id":{{idOf["a"]}}}""");

        Assert.True((await second)["return"]!["b"]!.GetValue<bool>());
        Assert.Equal("no", (await first)["error"]!["desc"]!.GetValue<string>());
        Assert.Equal(1, sent[1]["arguments"]!["x"]!.GetValue<int>());
        Assert.Equal(["ONE", "TWO"], events);
        Assert.Equal(2, rpc.SkippedLines); // the junk and the reply nobody waited for
    }

    [Fact]
    public async Task APeerThatGoesAwayFailsWhatIsPendingAndWhatComesAfter()
    {
        await using var link = new PipeLink();
        var closed = 0;
        await using var rpc = new JsonLineRpc(link.ClientSide, new JsonLineReader(link.ClientSide, 1 << 20), "the peer", _ => { }, () => closed++);

        var pending = rpc.RequestAsync("a", null, sentinelFirst: false, Ct);
        _ = await link.Sent.ReadLineAsync(Ct);
        link.CloseToClient();

        var e = await Assert.ThrowsAsync<IOException>(() => pending);
        await rpc.Completion;
        var after = await Assert.ThrowsAsync<IOException>(() => rpc.RequestAsync("b", null, sentinelFirst: false, Ct));
        Assert.Equal("the peer closed the connection", e.Message);
        Assert.Equal("the peer closed the connection", after.Message);
        Assert.Equal(1, closed);
    }
}
