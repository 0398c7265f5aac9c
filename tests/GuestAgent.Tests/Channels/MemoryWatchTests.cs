using System.Text.Json.Nodes;
using GuestAgent.Protocol;
using GuestAgent.Protocol.Client;
using GuestAgent.Protocol.Messages;
using Microsoft.Extensions.Time.Testing;

namespace GuestAgent.Tests.Channels;

/// <summary><c>watch-memory</c> and <c>MEMORY_STATUS</c> over a real session, on the session's fake clock.</summary>
public class MemoryWatchTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonObject> NextStatusAsync(ProtocolClient client)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return (JsonObject)(await client.WaitForEventAsync(EventNames.MemoryStatus, limit.Token))["data"]!;
    }

    /// <summary>Events that came before the reply to a sync (the agent's writes are in order: none can be on its way).</summary>
    private static async Task<List<string>> EventsUpToNowAsync(ProtocolClient client)
    {
        await client.ExecuteAsync(CommandNames.SyncDelimited, new JsonObject { ["id"] = 7 }, Ct);
        var names = new List<string>();
        while (client.Events.TryRead(out var e))
        {
            names.Add(e["event"]!.GetValue<string>());
        }

        return names;
    }

    [Fact]
    public async Task AWatchPushesTheGuestsMemoryAtOnceAndThenEveryIntervalOfTheSessionsClock()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await SessionHarness.StartAsync(sessionTime: clock);
        h.Proc.SetMemory(2L << 30, 1536L << 20).SetPressure(1000, 10, someAvg10: 12.5, fullAvg10: 3.25);

        var reply = await h.Client.ExecuteAsync(CommandNames.WatchMemory, new JsonObject { ["interval-ms"] = 1000 }, Ct);
        var first = await NextStatusAsync(h.Client);

        Assert.Equal(1000, reply!["interval-ms"]!.GetValue<int>());
        Assert.Equal(2L << 30, first["total"]!.GetValue<long>());
        Assert.Equal(1536L << 20, first["available"]!.GetValue<long>());
        Assert.Equal(12.5, first["pressure"]!["some-avg10"]!.GetValue<double>());
        Assert.Equal(3.25, first["pressure"]!["full-avg10"]!.GetValue<double>());
        Assert.Null(first["problem"]);
        Assert.Equal((1536L << 20) - (128L << 20), first["headroom"]!.GetValue<long>());
        var devices = first["devices"]!.AsArray().Select(d => d!.AsObject()).ToList();
        Assert.DoesNotContain(devices, d => d["kind"]!.GetValue<string>() == "boot");
        var movable = devices.Single(d => d["slot"]?.GetValue<int>() == 0);
        var normal = devices.Single(d => d["slot"]?.GetValue<int>() == 1);
        Assert.Equal(256L << 20, movable["can-go"]!.GetValue<long>());
        Assert.Equal(0, normal["can-go"]!.GetValue<long>());
        Assert.Contains("zone Normal", normal["reason"]!.GetValue<string>(), StringComparison.Ordinal);

        // Nothing more until the interval has passed on the session's clock; then the next, with what changed.
        clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.DoesNotContain(EventNames.MemoryStatus, await EventsUpToNowAsync(h.Client));
        h.Proc.SetMemory(2L << 30, 200L << 20);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        var second = await NextStatusAsync(h.Client);
        Assert.Equal(200L << 20, second["available"]!.GetValue<long>());
        Assert.Equal(0, second["devices"]!.AsArray().Single(d => d!["slot"]?.GetValue<int>() == 0)!["can-go"]!.GetValue<long>());
    }

    [Fact]
    public async Task ZeroAHelloOrANewWatchEndTheOldOne()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await SessionHarness.StartAsync(sessionTime: clock);

        await h.Client.ExecuteAsync(CommandNames.WatchMemory, null, Ct);
        await NextStatusAsync(h.Client);
        var stopped = await h.Client.ExecuteAsync(CommandNames.WatchMemory, new JsonObject { ["interval-ms"] = 0 }, Ct);
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(0, stopped!["interval-ms"]!.GetValue<int>());
        Assert.DoesNotContain(EventNames.MemoryStatus, await EventsUpToNowAsync(h.Client));

        await h.Client.ExecuteAsync(CommandNames.WatchMemory, new JsonObject { ["interval-ms"] = 500 }, Ct);
        await NextStatusAsync(h.Client);
        await h.Client.HelloAsync(["memory-status"], Ct);
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(EventNames.MemoryStatus, await EventsUpToNowAsync(h.Client));

        // A new watch replaces the old: one status per interval, not two.
        await h.Client.ExecuteAsync(CommandNames.WatchMemory, new JsonObject { ["interval-ms"] = 5000 }, Ct);
        await h.Client.ExecuteAsync(CommandNames.WatchMemory, new JsonObject { ["interval-ms"] = 2000 }, Ct);
        await NextStatusAsync(h.Client);
        await NextStatusAsync(h.Client);
        clock.Advance(TimeSpan.FromSeconds(2));
        await NextStatusAsync(h.Client);
        Assert.DoesNotContain(EventNames.MemoryStatus, await EventsUpToNowAsync(h.Client));
    }

    [Theory]
    [InlineData("{\"interval-ms\":100}", "watch-memory: \"interval-ms\" must be 0 (stop) or from 200 to 60000")]
    [InlineData("{\"interval-ms\":60001}", "watch-memory: \"interval-ms\" must be 0 (stop) or from 200 to 60000")]
    [InlineData("{\"interval-ms\":\"1s\"}", "watch-memory: \"interval-ms\" must be an integer from -2147483648 to 2147483647")]
    [InlineData("{\"every\":1}", "watch-memory has no argument \"every\" (it takes: interval-ms)")]
    public async Task BadIntervalsAreRefusedInTheProtocolsWords(string arguments, string description)
    {
        await using var h = await SessionHarness.StartAsync();

        var e = await Assert.ThrowsAsync<ProtocolErrorException>(() => h.Client.ExecuteAsync(CommandNames.WatchMemory, JsonNode.Parse(arguments)!.AsObject(), Ct));

        Assert.Equal(ErrorClasses.BadArgument, e.Error.Class);
        Assert.Equal(description, e.Error.Desc);
        Assert.DoesNotContain(EventNames.MemoryStatus, await EventsUpToNowAsync(h.Client));
    }

    [Fact]
    public async Task AGuestWithoutPsiSaysSoAndStillReportsItsMemory()
    {
        await using var h = await SessionHarness.StartAsync();
        h.Proc.RemovePressure();

        await h.Client.ExecuteAsync(CommandNames.WatchMemory, null, Ct);
        var status = await NextStatusAsync(h.Client);

        Assert.Null(status["pressure"]);
        Assert.Contains("no PSI for memory", status["problem"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(1536L << 20, status["available"]!.GetValue<long>());
    }

    [Fact]
    public async Task HelloListsTheCapability()
    {
        await using var h = await SessionHarness.StartAsync();

        var hello = await h.Client.ExecuteAsync(CommandNames.Hello, null, ProtocolJsonContext.Default.HelloReturn, Ct);

        Assert.Contains("memory-status", hello.Capabilities);
    }
}
