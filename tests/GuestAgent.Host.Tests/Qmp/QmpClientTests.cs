using System.Text.Json.Nodes;
using GuestAgent.Host.Qmp;
using GuestAgent.Host.Tests.Support;

namespace GuestAgent.Host.Tests.Qmp;

public sealed class QmpClientTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task NegotiatesAndQueriesMemoryDevices()
    {
        await using var qemu = new SimulatedQemu();
        qemu.AddDimm("dimm0", "mem0", 256L << 20);
        await using var client = await QmpClient.ConnectAsync(qemu.Path, TimeSpan.FromSeconds(5), Token);

        var devices = await client.QueryMemoryDevicesAsync(Token);
        var summary = await client.QueryMemorySizeSummaryAsync(Token);

        Assert.Equal("7.2.0", client.Version);
        Assert.Equal("qmp_capabilities", qemu.CommandNames[0]);
        var dimm = Assert.Single(devices);
        Assert.Equal(("dimm0", "mem0", 4L << 30, 0), (dimm.Id, dimm.BackendId, dimm.Addr, dimm.Slot));
        Assert.Equal(new QmpMemorySummary(1L << 30, 256L << 20), summary);
        Assert.Equal(8, await client.QueryDimmSlotCountAsync(Token));
    }

    [Fact]
    public async Task ErrorsCarryQemusClassAndText()
    {
        await using var qemu = new SimulatedQemu();
        await using var client = await QmpClient.ConnectAsync(qemu.Path, TimeSpan.FromSeconds(5), Token);

        var e = await Assert.ThrowsAsync<QmpCommandException>(() => client.ExecuteAsync("device_del", new JsonObject { ["id"] = "nope" }, Token));

        Assert.Equal("DeviceNotFound", e.ErrorClass);
        Assert.Contains("Device 'nope' not found", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubscribersSeeEventsInOrderAndJunkIsSkipped()
    {
        await using var qemu = new SimulatedQemu();
        qemu.AddDimm("dimm0", "mem0", 256L << 20);
        await using var client = await QmpClient.ConnectAsync(qemu.Path, TimeSpan.FromSeconds(5), Token);
        using var events = client.Subscribe();

        await qemu.SendAsync("\u0001 junk that is not JSON");
        await client.ExecuteAsync("device_del", new JsonObject { ["id"] = "dimm0" }, Token);
        var deleted = await events.WaitAsync(e => e.Name == "DEVICE_DELETED", TimeSpan.FromSeconds(5), Token);

        Assert.NotNull(deleted);
        Assert.Equal("dimm0", deleted.Data["device"]!.GetValue<string>());
        Assert.Equal(1, client.SkippedLines);
    }

    [Fact]
    public async Task ASocketThatIsNotQemuIsRefusedClearly()
    {
        await using var other = new SimulatedQemu { Greeting = "SSH-2.0-OpenSSH_9.2" };

        var e = await Assert.ThrowsAsync<QmpException>(() => QmpClient.ConnectAsync(other.Path, TimeSpan.FromSeconds(5), Token));

        Assert.Contains("is not a QMP socket", e.Message, StringComparison.Ordinal);
        Assert.Contains("SSH-2.0", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASilentOrMissingSocketIsReported()
    {
        await using var silent = new SimulatedQemu { Greeting = "" };
        var quiet = await Assert.ThrowsAsync<QmpException>(() => QmpClient.ConnectAsync(silent.Path, TimeSpan.FromMilliseconds(300), Token));
        var missing = await Assert.ThrowsAsync<QmpException>(() => QmpClient.ConnectAsync("/nonexistent/qmp.sock", TimeSpan.FromSeconds(1), Token));

        Assert.Contains("said nothing", quiet.Message, StringComparison.Ordinal);
        Assert.Equal("no QMP socket: /nonexistent/qmp.sock does not exist (nor does its folder) (is QEMU running with -qmp unix:/nonexistent/qmp.sock,server=on,wait=off?)", missing.Message);
    }

    [Fact]
    public async Task PendingCommandsFailWhenQemuGoesAway()
    {
        var qemu = new SimulatedQemu();
        await using var client = await QmpClient.ConnectAsync(qemu.Path, TimeSpan.FromSeconds(5), Token);
        using var events = client.Subscribe();

        await qemu.DisposeAsync();
        await client.Closed.WaitAsync(TimeSpan.FromSeconds(5), Token);

        await Assert.ThrowsAsync<QmpException>(() => client.ExecuteAsync("query-memory-devices", null, Token));
        Assert.Null(await events.WaitAsync(_ => true, TimeSpan.FromSeconds(1), Token));
    }
}
