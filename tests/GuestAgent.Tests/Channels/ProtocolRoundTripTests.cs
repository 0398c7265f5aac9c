using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GuestAgent.Protocol;
using GuestAgent.Protocol.Client;
using GuestAgent.Protocol.Messages;
using GuestAgent.TestSupport;

namespace GuestAgent.Tests.Channels;

public class ProtocolRoundTripTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonObject> NextEventAsync(ProtocolClient client, string name)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await client.WaitForEventAsync(name, limit.Token);
    }

    [Fact]
    public async Task TheAgentGreetsWithTheWholeStateAndAnswersHello()
    {
        await using var h = await SessionHarness.StartAsync();

        var ready = await NextEventAsync(h.Client, EventNames.AgentReady);
        var hello = await h.Client.ExecuteAsync(CommandNames.Hello, new JsonObject { ["protocol"] = 1, ["capabilities"] = new JsonArray("events", "future-thing") }, ProtocolJsonContext.Default.HelloReturn, Ct);

        Assert.Equal(2, ready["data"]!["model"]!["dimms"]!.AsArray().Count(d => d!["kind"]!.GetValue<string>() == "acpi"));
        Assert.True(ready["timestamp"]!["seconds"]!.GetValue<long>() > 1_700_000_000);
        Assert.Equal(1, hello.Protocol);
        Assert.Equal(128L << 20, hello.BlockSize);
        Assert.Contains("prepare-unplug", hello.Capabilities);
    }

    [Fact]
    public async Task AnotherProtocolVersionIsRefused()
    {
        await using var h = await SessionHarness.StartAsync();

        var e = await Assert.ThrowsAsync<ProtocolErrorException>(() => h.Client.ExecuteAsync(CommandNames.Hello, new JsonObject { ["protocol"] = 2 }, Ct));

        Assert.Equal(ErrorClasses.ProtocolMismatch, e.Error.Class);
    }

    [Fact]
    public async Task GetModelReturnsReadinessPerDimm()
    {
        await using var h = await SessionHarness.StartAsync();

        var model = await h.Client.ExecuteAsync(CommandNames.GetModel, null, ProtocolJsonContext.Default.ModelReport, Ct);

        Assert.Equal("ready", model.Dimms.Single(d => d.Slot == 0).Readiness);
        Assert.StartsWith("memory34 is in zone Normal (onlined there before the agent started: at boot, by a udev rule or by an administrator; make-movable", model.Dimms.Single(d => d.Slot == 1).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PrepareAndCancelUnplugWithEventsAndPerBlockResults()
    {
        await using var h = await SessionHarness.StartAsync();

        var prepared = await h.Client.ExecuteAsync(CommandNames.PrepareUnplug, new JsonObject { ["slot"] = 0 }, ProtocolJsonContext.Default.OperationReturn, Ct);
        var finished = await NextEventAsync(h.Client, EventNames.PrepareUnplugFinished);
        var cancelled = await h.Client.ExecuteAsync(CommandNames.CancelUnplug, new JsonObject { ["id"] = "slot0" }, ProtocolJsonContext.Default.OperationReturn, Ct);

        Assert.True(prepared.Ok);
        Assert.Equal("ready", prepared.Readiness);
        Assert.Equal(["memory32", "memory33"], prepared.Blocks.Select(b => b.Block));
        Assert.True(finished["data"]!["ok"]!.GetValue<bool>());
        Assert.True(cancelled.Ok);
        Assert.Equal("Movable", h.Tree.ReadZones(32));
    }

    [Fact]
    public async Task MakeMovableMovesAKernelZoneDimmWithItsEventAndAnOlderHostsArgumentsAreChecked()
    {
        await using var h = await SessionHarness.StartAsync();

        var hello = await h.Client.ExecuteAsync(CommandNames.Hello, new JsonObject { ["protocol"] = 1 }, ProtocolJsonContext.Default.HelloReturn, Ct);
        var moved = await h.Client.ExecuteAsync(CommandNames.MakeMovable, new JsonObject { ["slot"] = 1 }, ProtocolJsonContext.Default.OperationReturn, Ct);
        var finished = await NextEventAsync(h.Client, EventNames.MakeMovableFinished);
        var unknown = await Assert.ThrowsAsync<ProtocolErrorException>(() => h.Client.ExecuteAsync(CommandNames.MakeMovable, new JsonObject { ["slot"] = 7 }, Ct));

        Assert.Contains("make-movable", hello.Capabilities);
        Assert.True(moved.Ok);
        Assert.Equal("make-movable", moved.Operation);
        Assert.Equal("ready", moved.Readiness);
        Assert.Equal(["memory34", "memory35", "memory35", "memory34"], moved.Blocks.Select(b => b.Block));
        Assert.Equal("make-movable", finished["data"]!["operation"]!.GetValue<string>());
        Assert.Equal("Movable", h.Tree.ReadZones(34));
        Assert.Equal(ErrorClasses.NotFound, unknown.Error.Class);
    }

    [Fact]
    public async Task AKernelRefusalIsOperationFailedWithTheErrnoAndTheDimmIsRolledBack()
    {
        await using var h = await SessionHarness.StartAsync();
        h.Writer!.FailWith(33, Memory.Writing.BlockStateRequest.Offline, Memory.Writing.Errno.EBUSY);

        var e = await Assert.ThrowsAsync<ProtocolErrorException>(() => h.Client.ExecuteAsync(CommandNames.PrepareUnplug, new JsonObject { ["slot"] = 0 }, Ct));
        var finished = await NextEventAsync(h.Client, EventNames.PrepareUnplugFinished);

        Assert.Equal(ErrorClasses.OperationFailed, e.Error.Class);
        Assert.Equal("EBUSY", e.Error.Errno);
        Assert.True(finished["data"]!["rolled-back"]!.GetValue<bool>());
        Assert.Equal("online", h.Tree.ReadState(32));
    }

    [Theory]
    [InlineData("prepare-unplug", """{"slot":9}""", ErrorClasses.NotFound)]
    [InlineData("prepare-unplug", """{"id":"boot@0x0"}""", ErrorClasses.NotRemovable)]
    [InlineData("prepare-unplug", """{"slot":"0"}""", ErrorClasses.BadArgument)]
    [InlineData("prepare-unplug", """{"slot":0,"id":"slot0"}""", ErrorClasses.BadArgument)]
    [InlineData("prepare-unplug", """{}""", ErrorClasses.BadArgument)]
    [InlineData("prepare-unplug", """{"slot":-1}""", ErrorClasses.BadArgument)]
    [InlineData("prepare-unplug", """{"start":1,"size":2}""", ErrorClasses.BadArgument)]
    [InlineData("prepare-unplug", """{"id":"../../etc"}""", ErrorClasses.NotFound)]
    [InlineData("prepare-unplug", """{"id":"range@0x0"}""", ErrorClasses.NotRemovable)]
    [InlineData("prepare-unplug", """{"slot":0,"force":"yes"}""", ErrorClasses.BadArgument)]
    [InlineData("cancel-unplug", """{"slot":0,"force":true}""", ErrorClasses.BadArgument)]
    [InlineData("prepare-unplug", """{"slot":99999999999}""", ErrorClasses.BadArgument)]
    [InlineData("hello", """{"capabilities":[1]}""", ErrorClasses.BadArgument)]
    [InlineData("cancel-unplug", """{"slott":0}""", ErrorClasses.BadArgument)]
    [InlineData("set-policy", """{"policy":"sideways"}""", ErrorClasses.BadArgument)]
    [InlineData("set-policy", """{"auto-movable-ratio":0}""", ErrorClasses.BadArgument)]
    [InlineData("get-model", """{"verbose":true}""", ErrorClasses.BadArgument)]
    [InlineData("sync-delimited", """{}""", ErrorClasses.BadArgument)]
    [InlineData("format-disk", """{}""", ErrorClasses.UnknownCommand)]
    public async Task BadRequestsGetNamedErrorsAndChangeNothing(string command, string arguments, string errorClass)
    {
        await using var h = await SessionHarness.StartAsync();

        var e = await Assert.ThrowsAsync<ProtocolErrorException>(() => h.Client.ExecuteAsync(command, JsonNode.Parse(arguments)!.AsObject(), Ct));

        Assert.Equal(errorClass, e.Error.Class);
        Assert.DoesNotMatch(@"GuestAgent\.|System\.|\$\.|[A-Z][a-z]+_[A-Z]|Exception", e.Error.Desc); // no .NET internals
        Assert.Empty(h.Writer!.Writes);
        var model = await h.Client.ExecuteAsync(CommandNames.GetModel, null, ProtocolJsonContext.Default.ModelReport, Ct); // still serving
        Assert.Equal(2, model.Dimms.Count(d => d.Kind == "acpi"));
    }

    [Theory]
    [InlineData("prepare-unplug", """{"slot":"0"}""", "prepare-unplug: \"slot\" must be an integer from -2147483648 to 2147483647")]
    [InlineData("cancel-unplug", """{"slott":0}""", "cancel-unplug has no argument \"slott\" (it takes: slot, id, start, size, force)")]
    [InlineData("get-model", """{"verbose":true}""", "get-model takes no arguments")]
    [InlineData("prepare-unplug", """{"start":1,"size":2}""", "range 0x1+0x2 is not aligned to the block size 0x8000000")]
    public async Task BadArgumentsAreToldInTheProtocolsWords(string command, string arguments, string description)
    {
        await using var h = await SessionHarness.StartAsync();

        var e = await Assert.ThrowsAsync<ProtocolErrorException>(() => h.Client.ExecuteAsync(command, JsonNode.Parse(arguments)!.AsObject(), Ct));

        Assert.Equal(description, e.Error.Desc);
    }

    [Fact]
    public async Task ADimmThatDoesNotFitIsInsufficientMemoryUnlessForced()
    {
        await using var h = await SessionHarness.StartAsync();
        h.Proc.SetMemory(2L << 30, 300L << 20);

        var model = await h.Client.ExecuteAsync(CommandNames.GetModel, null, ProtocolJsonContext.Default.ModelReport, Ct);
        var refused = await Assert.ThrowsAsync<ProtocolErrorException>(() => h.Client.ExecuteAsync(CommandNames.PrepareUnplug, new JsonObject { ["slot"] = 0 }, Ct));
        var forced = await h.Client.ExecuteAsync(CommandNames.PrepareUnplug, new JsonObject { ["slot"] = 0, ["force"] = true }, ProtocolJsonContext.Default.OperationReturn, Ct);

        var slot0 = model.Dimms.Single(d => d.Slot == 0);
        Assert.Equal(("not-ready", "capacity", 256L << 20), (slot0.Readiness, slot0.Blocker, slot0.OnlineBytes));
        Assert.Equal(300L << 20, model.Capacity!.Available);
        Assert.Equal(ErrorClasses.InsufficientMemory, refused.Error.Class);
        Assert.Contains("must stay available (Memory:UnplugReserve)", refused.Error.Desc, StringComparison.Ordinal);
        Assert.True(forced.Ok);
    }

    [Fact]
    public async Task HelloAnnouncesTheCapacityCapabilities()
    {
        await using var h = await SessionHarness.StartAsync();

        var hello = await h.Client.ExecuteAsync(CommandNames.Hello, new JsonObject { ["protocol"] = 1 }, ProtocolJsonContext.Default.HelloReturn, Ct);

        Assert.Contains("capacity", hello.Capabilities);
        Assert.Contains("force-prepare", hello.Capabilities);
    }

    [Fact]
    public async Task SetPolicyAppliesAndIsAnnounced()
    {
        await using var h = await SessionHarness.StartAsync();

        var policy = await h.Client.ExecuteAsync(CommandNames.SetPolicy, new JsonObject { ["policy"] = "auto-movable", ["auto-movable-ratio"] = 200 }, ProtocolJsonContext.Default.PolicyReturn, Ct);
        var changed = await NextEventAsync(h.Client, EventNames.PolicyChanged);

        Assert.Equal("auto-movable", policy.Policy);
        Assert.Equal(200, changed["data"]!["auto-movable-ratio"]!.GetValue<int>());
    }

    [Fact]
    public async Task JunkTooLongLinesAndTheSentinelAreHandledOnTheWire()
    {
        await using var h = await SessionHarness.StartAsync(withClient: false);
        var reader = new StreamReader(h.Raw, Encoding.Latin1);
        async Task<string> NextReplyAsync()
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (true)
            {
                var line = (await reader.ReadLineAsync(limit.Token))!;
                if (!line.Contains("\"event\"", StringComparison.Ordinal))
                {
                    return line;
                }
            }
        }

        async Task SendAsync(byte[] bytes) => await h.Raw.WriteAsync(bytes, Ct);

        await SendAsync([0x00, 0x01, 0x9B, (byte)'\n']);
        Assert.Contains("\"class\":\"BadJson\"", await NextReplyAsync());
        await SendAsync(Encoding.ASCII.GetBytes(new string('a', 70_000) + "\n"));
        Assert.Contains("\"class\":\"LineTooLong\"", await NextReplyAsync());
        await SendAsync([.. "{\"execute\":\"get-mo"u8, 0xFF, .. "{\"execute\":\"sync-delimited\",\"arguments\":{\"id\":5},\"id\":1}\n"u8]);
        var synced = await NextReplyAsync();
        Assert.Equal('\u00FF', synced[0]);
        Assert.Equal("""{"return":{"id":5},"id":1}""", synced[1..]);
    }

    [Fact]
    public async Task AFloodOfRequestsIsAnsweredBusyPastTheLimitAndEveryRequestGetsAReply()
    {
        await using var h = await SessionHarness.StartAsync();
        h.Writer!.DelayBy(32, Memory.Writing.BlockStateRequest.Offline, TimeSpan.FromSeconds(2));

        var slow = h.Client.ExecuteAsync(CommandNames.PrepareUnplug, new JsonObject { ["slot"] = 0 }, Ct);
        var flood = Enumerable.Range(0, 40).Select(_ => h.Client.ExecuteAsync(CommandNames.GetModel, null, Ct)).ToList();
        var outcomes = await Task.WhenAll(flood.Select(async t =>
        {
            try
            {
                await t;
                return "ok";
            }
            catch (ProtocolErrorException e)
            {
                return e.Error.Class;
            }
        }));

        Assert.All(outcomes, o => Assert.True(o is "ok" or ErrorClasses.Busy, o));
        Assert.NotNull(await slow);
    }

    [Fact]
    public async Task APeerThatDisconnectsMidRequestEndsOnlyItsSession()
    {
        await using var h = await SessionHarness.StartAsync(withClient: false);

        await h.Raw.WriteAsync("{\"execute\":\"prepare-unpl"u8.ToArray(), Ct);
        h.Raw.Close();
        await h.SessionTask.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        Assert.Empty(h.Writer!.Writes);
        Assert.True(h.Agent!.View.Readiness["slot0"].IsReady);
    }

    [Fact]
    public async Task RepliesTolerateFieldsFromANewerAgent()
    {
        var model = JsonSerializer.Deserialize("""{"sysfs-root":"/sys","block-size":1,"policy":"movable","blocks":{"total":0,"online":0,"offline":0,"movable-bytes":0,"kernel-bytes":0,"offline-bytes":0},"dimms":[],"new-field":1}""",
            ProtocolJsonContext.Default.ModelReport);

        Assert.NotNull(model);
        await Task.CompletedTask;
    }
}
