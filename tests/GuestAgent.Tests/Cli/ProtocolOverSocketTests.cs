using System.Net.Sockets;
using System.Text.Json.Nodes;
using GuestAgent.Protocol;
using GuestAgent.Protocol.Client;
using GuestAgent.Protocol.Messages;
using GuestAgent.TestSupport;

namespace GuestAgent.Tests.Cli;

/// <summary>The real guest-agent binary serving the protocol on a unix socket over a fake sysfs tree, and the admin CLI against its control socket.</summary>
public sealed class ProtocolOverSocketTests : IAsyncLifetime
{
    private readonly FakeSysfsTree _tree = new();
    private readonly TemporaryDirectory _runtime = new();
    private AgentProcess? _agent;

    private string Socket => Path.Combine(_runtime.Path, "agent.sock");

    private string Control => Path.Combine(_runtime.Path, "control.sock");

    public async ValueTask InitializeAsync()
    {
        _tree.AddBootMemory(8).AddDimm(0, 32, 2).AddDimm(1, 34, 2, "online", "Normal");
        _agent = AgentProcess.Start(["run", "--sysfs-root", _tree.RootPath, "--runtime-dir", _runtime.Path, "--listen", Socket]);
        await Eventually.TrueAsync(() => File.Exists(Socket) && File.Exists(Control), "the agent's sockets", TimeSpan.FromSeconds(60));
    }

    private async Task<ProtocolClient> ConnectAsync()
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(Socket), TestContext.Current.CancellationToken);
        return new ProtocolClient(new NetworkStream(socket, ownsSocket: true));
    }

    [Fact]
    public async Task TheBinaryGreetsAnswersAndSurvivesReconnects()
    {
        for (var i = 0; i < 3; i++)
        {
            await using var client = await ConnectAsync();
            var ready = await client.Events.ReadAsync(TestContext.Current.CancellationToken);
            var model = await client.ExecuteAsync(CommandNames.GetModel, null, ProtocolJsonContext.Default.ModelReport, TestContext.Current.CancellationToken);

            Assert.Equal(EventNames.AgentReady, ready["event"]!.GetValue<string>());
            Assert.Equal("not-ready", model.Dimms.Single(d => d.Slot == 1).Readiness);
        }

        var control = new FileInfo(Control);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, control.UnixFileMode); // root only
    }

    [Fact]
    public async Task StatusPrintsTheTableAndJson()
    {
        var (code, stdout, stderr) = await AgentProcess.RunAsync("status", "--socket", Control);
        var (jsonCode, json, _) = await AgentProcess.RunAsync("status", "--json", "--socket", Control);

        Assert.True(code == 0, stderr);
        Assert.Contains("memory34 is in zone Normal", stdout);
        Assert.Contains("READINESS", stdout);
        Assert.Equal(0, jsonCode);
        Assert.Equal("guest-agent/model/1", JsonNode.Parse(json)!["schema"]!.GetValue<string>());
    }

    [Fact]
    public async Task PrepareAndCancelUnplugFromTheCommandLine()
    {
        var (code, stdout, stderr) = await AgentProcess.RunAsync("prepare-unplug", "0", "--socket", Control);
        Assert.True(code == 0, stderr);
        Assert.Contains("slot0: every block is offline (readiness: ready)", stdout);
        Assert.Equal("offline", _tree.ReadState(32));

        (code, stdout, stderr) = await AgentProcess.RunAsync("cancel-unplug", "0", "--socket", Control);
        Assert.True(code == 0, stderr);
        Assert.Equal("online_movable", _tree.ReadState(32));

        (code, _, stderr) = await AgentProcess.RunAsync("prepare-unplug", "5", "--socket", Control);
        Assert.Equal(1, code);
        Assert.Contains("NotFound: no DIMM in slot 5", stderr);
    }

    [Fact]
    public async Task WithoutARunningAgentTheCliSaysSo()
    {
        var (code, _, stderr) = await AgentProcess.RunAsync("status", "--socket", Path.Combine(_runtime.Path, "absent.sock"));

        Assert.Equal(1, code);
        Assert.Contains("cannot reach the agent", stderr);
    }

    public async ValueTask DisposeAsync()
    {
        _agent!.Terminate();
        await _agent.WaitAsync(TimeSpan.FromSeconds(30));
        _agent.Dispose();
        _tree.Dispose();
        _runtime.Dispose();
    }
}
