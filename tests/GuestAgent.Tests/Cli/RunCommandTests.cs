using GuestAgent.TestSupport;

namespace GuestAgent.Tests.Cli;

/// <summary>The real daemon over a fake tree: onlines at start, logs with journald priorities, stops cleanly on SIGTERM.</summary>
public sealed class RunCommandTests : IDisposable
{
    private readonly FakeSysfsTree _tree = new();
    private readonly TemporaryDirectory _runtime = new();

    [Fact]
    public async Task OnlinesAtStartAndStopsCleanlyOnSigterm()
    {
        _tree.AddBootMemory(8).AddDimm(0, 32, 2);
        using var agent = AgentProcess.Start(["run", "--sysfs-root", _tree.RootPath, "--runtime-dir", _runtime.Path]);

        await Eventually.TrueAsync(() => _tree.ReadState(32) == "online_movable" && _tree.ReadState(33) == "online_movable", "the daemon onlined slot0", TimeSpan.FromSeconds(60));
        await Eventually.TrueAsync(() => agent.Stdout.Contains("Onlining 2 block(s) of slot0"), "logged", TimeSpan.FromSeconds(10));
        agent.Terminate();
        var code = await agent.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, code);
        Assert.Contains("<6>Memory agent starting, policy movable", agent.Stdout);
        Assert.Contains("<6>Memory agent stopped", agent.Stdout);
        Assert.True(File.Exists(Path.Combine(_runtime.Path, "boot-dimms")));
    }

    [Fact]
    public async Task UnderSystemdItSaysReadyStatusWatchdogAndStopping()
    {
        _tree.AddBootMemory(8).AddDimm(0, 32, 2);
        using var notify = new NotifySocket();
        using var agent = AgentProcess.StartUnderSystemd(
            ["run", "--sysfs-root", _tree.RootPath, "--runtime-dir", _runtime.Path],
            new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notify.Address, ["WATCHDOG_USEC"] = "400000" });

        await Eventually.TrueAsync(() => notify.Messages.Contains("READY=1"), "READY=1", TimeSpan.FromSeconds(60));
        await Eventually.TrueAsync(() => notify.Messages.Contains("WATCHDOG=1"), "WATCHDOG=1", TimeSpan.FromSeconds(30));
        Assert.Equal("online_movable", _tree.ReadState(32)); // READY comes after the first scan
        Assert.Contains("STATUS=1 DIMM, 0 ready, policy movable, no host connected", notify.Messages);
        agent.Terminate();
        Assert.Equal(0, await agent.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("STOPPING=1", notify.Messages);
    }

    [Fact]
    public async Task OutsideSystemdANotifySocketGetsNoReady()
    {
        // Microsoft.Extensions.Hosting.Systemd's rule: only a child of systemd is a systemd service.
        _tree.AddBootMemory(8).AddDimm(0, 32, 2);
        using var notify = new NotifySocket();
        using var agent = AgentProcess.Start(
            ["run", "--sysfs-root", _tree.RootPath, "--runtime-dir", _runtime.Path],
            new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notify.Address });

        await Eventually.TrueAsync(() => agent.Stdout.Contains("Opened") || agent.Stdout.Contains("Serving the protocol"), "serving", TimeSpan.FromSeconds(60));
        agent.Terminate();
        Assert.Equal(0, await agent.WaitAsync(TimeSpan.FromSeconds(30)));
        await notify.FlushAsync(); // everything the agent sent before it ended has been received
        Assert.DoesNotContain("READY=1", notify.Messages);
        Assert.DoesNotContain("STOPPING=1", notify.Messages);
    }

    [Fact]
    public async Task OnceServingItGivesTheStartUpGarbageBack()
    {
        _tree.AddBootMemory(8).AddDimm(0, 32, 2);
        using var agent = AgentProcess.Start(["run", "--sysfs-root", _tree.RootPath, "--runtime-dir", _runtime.Path, "--verbose"]);

        await Eventually.TrueAsync(() => agent.Stdout.Contains("<7>Heap trimmed start-up: "), "the start-up collection logged", TimeSpan.FromSeconds(60));
        agent.Terminate();
        Assert.Equal(0, await agent.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task InvalidConfigurationStopsTheStartWithEveryProblemNamed()
    {
        var config = Path.Combine(_runtime.Path, "guest-agent.json");
        await File.WriteAllTextAsync(config, """{ "Memory": { "Policy": "sideways", "AutoMovableRatio": 0, "ResyncInterval": "00:00:00.1" } }""", TestContext.Current.CancellationToken);

        using var agent = AgentProcess.Start(["run", "--config", config, "--sysfs-root", _tree.RootPath]);
        var code = await agent.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, code);
        Assert.Contains("<2>Configuration: Memory:Policy must be one of", agent.Stdout);
        Assert.Contains("Memory:AutoMovableRatio", agent.Stdout);
        Assert.Contains("Memory:ResyncInterval", agent.Stdout);
    }

    [Fact]
    public async Task EnvironmentVariablesOverrideTheFile()
    {
        _tree.AddBootMemory(8).AddDimm(0, 32, 1);
        using var agent = AgentProcess.Start(
            ["run", "--sysfs-root", _tree.RootPath, "--runtime-dir", _runtime.Path],
            new Dictionary<string, string> { ["GUEST_AGENT_Memory__Policy"] = "kernel" });

        await Eventually.TrueAsync(() => _tree.ReadState(32) == "online", "onlined with plain online", TimeSpan.FromSeconds(60));
        agent.Terminate();
        Assert.Equal(0, await agent.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task AMissingConfigurationFileNamedOnTheCommandLineIsAnError()
    {
        using var agent = AgentProcess.Start(["run", "--config", Path.Combine(_runtime.Path, "absent.json")]);

        Assert.Equal(2, await agent.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("Configuration file not found", agent.Stdout);
    }

    public void Dispose()
    {
        _tree.Dispose();
        _runtime.Dispose();
    }
}
