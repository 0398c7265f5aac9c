using System.Collections.Concurrent;
using System.Diagnostics;
using GuestAgent.TestSupport;

namespace GuestAgent.Tests.DBus;

/// <summary>
/// The agent's D-Bus interface on a private system-like bus, with <c>busctl</c> and <c>dbus-send</c> as independent
/// clients and the real agent binary on a fake sysfs tree.
/// </summary>
public sealed class DBusInterfaceTests : IDisposable
{
    private const string Object = "org.guestagent.Memory1";
    private const string ObjectPath = "/org/guestagent/Memory1";
    private const int Nobody = 65534;

    private readonly FakeSysfsTree _tree = new();
    private readonly TemporaryDirectory _runtime = new();

    private AgentProcess StartAgent(string address, NotifySocket notify) => AgentProcess.StartUnderSystemd(
        ["run", "--sysfs-root", _tree.RootPath, "--runtime-dir", _runtime.Path, "--port", "", "--control-socket", ""],
        new Dictionary<string, string> { ["GUEST_AGENT_DBus__Address"] = address, ["NOTIFY_SOCKET"] = notify.Address });

    private static async Task WaitServedAsync(AgentProcess agent) =>
        await Eventually.TrueAsync(() => agent.Stdout.Contains("D-Bus: serving", StringComparison.Ordinal) || agent.Stdout.Contains("without the D-Bus", StringComparison.Ordinal), "the agent on the bus", TimeSpan.FromSeconds(60));

    [Fact]
    public async Task PropertiesIntrospectionAndChangeSignalsWork()
    {
        _tree.AddBootMemory(8).AddDimm(0, 32, 2, state: "online", zones: "Movable");
        using var bus = new PrivateSystemBus();
        using var notify = new NotifySocket();
        using var agent = StartAgent(bus.Address, notify);
        await WaitServedAsync(agent);

        var introspect = await bus.BusctlAsync(null, "introspect", Object, ObjectPath);
        var blockSize = await bus.BusctlAsync(Nobody, "get-property", Object, ObjectPath, Object, "BlockSize");
        var dimms = await bus.BusctlAsync(Nobody, "get-property", Object, ObjectPath, Object, "Dimms");

        Assert.True(introspect.Code == 0, introspect.Output);
        foreach (var member in new[] { ".PrepareUnplug", ".CancelUnplug", ".Rescan", ".SetPolicy", ".Dimms", ".HostConnected", ".DimmChanged", ".ReadinessChanged", ".PropertiesChanged" })
        {
            Assert.Contains(member, introspect.Output, StringComparison.Ordinal);
        }

        Assert.Equal("t 134217728", blockSize.Output.Trim());
        Assert.True(dimms.Output.Contains("\"slot0\" 0 \"acpi\" 4294967296 268435456 0 1 \"Movable\" \"online\" \"ready\"", StringComparison.Ordinal), dimms.Output);

        // Watch the bus, change the policy, plug a DIMM: PropertiesChanged, DimmChanged and ReadinessChanged arrive.
        var lines = new ConcurrentQueue<string>();
        using var monitor = StartMonitor(bus.Address, lines);
        await MonitorListensAsync(bus, lines);
        var set = await bus.BusctlAsync(null, "call", Object, ObjectPath, Object, "SetPolicy", "s", "kernel");
        _tree.AddDimm(1, 34, 2);
        var rescan = await bus.BusctlAsync(null, "call", Object, ObjectPath, Object, "Rescan");

        Assert.True(set.Code == 0 && rescan.Code == 0, set.Output + rescan.Output);
        Assert.Equal("s \"kernel\"", (await bus.BusctlAsync(null, "get-property", Object, ObjectPath, Object, "Policy")).Output.Trim());
        try
        {
            await Eventually.TrueAsync(() => lines.Any(l => l.Contains("member=ReadinessChanged", StringComparison.Ordinal)), "ReadinessChanged", TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(e.Message + "\nmonitor:\n" + string.Join('\n', lines) + "\nagent:\n" + agent.Stdout, e);
        }
        monitor.Kill();
        await monitor.WaitForExitAsync(TestContext.Current.CancellationToken);
        var seen = string.Join('\n', lines);
        Assert.Contains("member=PropertiesChanged", seen, StringComparison.Ordinal);
        Assert.Contains("member=DimmChanged", seen, StringComparison.Ordinal);
        Assert.Contains("\"slot1\"", seen, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RootPreparesAndCancelsAnUnplug()
    {
        _tree.AddBootMemory(8).AddDimm(0, 32, 2, state: "online", zones: "Movable");
        using var bus = new PrivateSystemBus();
        using var notify = new NotifySocket();
        using var agent = StartAgent(bus.Address, notify);
        await WaitServedAsync(agent);

        var prepare = await bus.BusctlAsync(null, "call", Object, ObjectPath, Object, "PrepareUnplug", "u", "0");
        var stateAfterPrepare = _tree.ReadState(32);
        // The tree is plain files: the test plays the kernel's part, whose valid_zones of an offline block lists the
        // zones it may be onlined into.
        _tree.SetBlock(32, stateAfterPrepare, "Movable Normal");
        _tree.SetBlock(33, _tree.ReadState(33), "Movable Normal");
        var cancel = await bus.BusctlAsync(null, "call", Object, ObjectPath, Object, "CancelUnplug", "u", "0");

        Assert.True(prepare.Code == 0, prepare.Output);
        Assert.StartsWith("bs true", prepare.Output.Trim(), StringComparison.Ordinal);
        Assert.Equal("offline", stateAfterPrepare); // the fake tree keeps what the agent wrote
        Assert.StartsWith("bs true", cancel.Output.Trim(), StringComparison.Ordinal);
        Assert.Equal("online_movable", _tree.ReadState(32));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ANonRootCallerMayReadButNotChangeAnything(bool permissiveBus)
    {
        _tree.AddBootMemory(8).AddDimm(0, 32, 2, state: "online", zones: "Movable");
        using var bus = new PrivateSystemBus(permissiveBus);
        using var notify = new NotifySocket();
        using var agent = StartAgent(bus.Address, notify);
        await WaitServedAsync(agent);

        var read = await bus.BusctlAsync(Nobody, "get-property", Object, ObjectPath, Object, "Policy");
        var prepare = await Packaging.PackagingTools.RunAsync(
            "/usr/bin/setpriv",
            [$"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups", "/usr/bin/dbus-send", "--bus=" + bus.Address, "--print-reply", "--dest=" + Object, ObjectPath, Object + ".PrepareUnplug", "uint32:0"],
            TimeSpan.FromMinutes(1));
        var policy = await bus.BusctlAsync(Nobody, "call", Object, ObjectPath, Object, "SetPolicy", "s", "none");

        Assert.Equal("s \"movable\"", read.Output.Trim());
        Assert.NotEqual(0, prepare.Code);
        Assert.NotEqual(0, policy.Code);
        // Refused by the bus policy, or (on a bus that lets anyone call) by the agent itself.
        Assert.True(prepare.Output.Contains(permissiveBus ? "AccessDenied: only root may call PrepareUnplug" : "AccessDenied: Rejected send message", StringComparison.Ordinal), prepare.Output);
        Assert.Equal("online", _tree.ReadState(32));
        Assert.Equal("s \"movable\"", (await bus.BusctlAsync(null, "get-property", Object, ObjectPath, Object, "Policy")).Output.Trim());
    }

    [Fact]
    public async Task MalformedCallsGetDBusErrorsAndTheAgentRunsOn()
    {
        _tree.AddBootMemory(8).AddDimm(0, 32, 2, state: "online", zones: "Movable");
        using var bus = new PrivateSystemBus();
        using var notify = new NotifySocket();
        using var agent = StartAgent(bus.Address, notify);
        await WaitServedAsync(agent);

        var wrongType = await bus.BusctlAsync(null, "call", Object, ObjectPath, Object, "PrepareUnplug", "s", "zero");
        var tooMany = await bus.BusctlAsync(null, "call", Object, ObjectPath, Object, "Rescan", "u", "1");
        var badPolicy = await bus.BusctlAsync(null, "call", Object, ObjectPath, Object, "SetPolicy", "s", "sideways");
        var noSlot = await bus.BusctlAsync(null, "call", Object, ObjectPath, Object, "PrepareUnplug", "u", "9");
        var unknown = await bus.BusctlAsync(null, "call", Object, ObjectPath, Object, "Explode");
        var readOnly = await bus.BusctlAsync(null, "set-property", Object, ObjectPath, Object, "Policy", "s", "none");
        var dbusSend = await Packaging.PackagingTools.RunAsync("/usr/bin/dbus-send", ["--bus=" + bus.Address, "--print-reply", "--dest=" + Object, ObjectPath, Object + ".CancelUnplug", "string:x", "int32:3"], TimeSpan.FromMinutes(1));

        Assert.Contains("PrepareUnplug takes (u), not (s)", wrongType.Output, StringComparison.Ordinal);
        Assert.Contains("Rescan takes (), not (u)", tooMany.Output, StringComparison.Ordinal);
        Assert.Contains("policy must be one of", badPolicy.Output, StringComparison.Ordinal);
        Assert.Contains("no DIMM in slot 9", noSlot.Output, StringComparison.Ordinal);
        Assert.Contains("no method 'Explode'", unknown.Output, StringComparison.Ordinal);
        Assert.Contains("read-only", readOnly.Output, StringComparison.Ordinal);
        Assert.Contains("org.freedesktop.DBus.Error.InvalidArgs", dbusSend.Output, StringComparison.Ordinal);
        Assert.All(new[] { wrongType, tooMany, badPolicy, noSlot, unknown, readOnly, dbusSend }, r => Assert.NotEqual(0, r.Code));
        Assert.Equal("s \"movable\"", (await bus.BusctlAsync(null, "get-property", Object, ObjectPath, Object, "Policy")).Output.Trim());
        Assert.Contains("READY=1", notify.Messages);
    }

    [Fact]
    public async Task WithoutABusTheAgentRunsOnAndSaysSoOnce()
    {
        _tree.AddBootMemory(8).AddDimm(0, 32, 2);
        using var notify = new NotifySocket();
        using var agent = StartAgent("unix:path=" + Path.Combine(_runtime.Path, "no-bus-here"), notify);

        await Eventually.TrueAsync(() => notify.Messages.Contains("READY=1"), "READY=1", TimeSpan.FromSeconds(60));
        await WaitServedAsync(agent);
        await Eventually.TrueAsync(() => _tree.ReadState(32) == "online_movable", "onlining without the bus");

        Assert.Equal(1, agent.Stdout.Split('\n').Count(l => l.Contains("running without the D-Bus interface", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task AVirtioMemDeviceIsAPropertyOfItsOwn()
    {
        _tree.AddBootMemory(8);
        for (var id = 32; id < 36; id++)
        {
            _tree.AddBlock(id, "online", "Movable");
        }

        using var proc = new FakeProcTree();
        proc.AccountFor(_tree); // the kernel's zone accounting of those blocks
        proc.SetVirtioMem(_tree.BlockSize, ("virtio4", 32 * _tree.BlockSize, 8 * _tree.BlockSize, 4));
        using var bus = new PrivateSystemBus();
        using var notify = new NotifySocket();
        using var agent = AgentProcess.StartUnderSystemd(
            ["run", "--sysfs-root", _tree.RootPath, "--runtime-dir", _runtime.Path, "--port", "", "--control-socket", ""],
            new Dictionary<string, string> { ["GUEST_AGENT_DBus__Address"] = bus.Address, ["NOTIFY_SOCKET"] = notify.Address, ["GUEST_AGENT_Memory__ProcRoot"] = proc.RootPath });
        await WaitServedAsync(agent);

        var devices = await bus.BusctlAsync(Nobody, "get-property", Object, ObjectPath, Object, "VirtioMem");
        var introspect = await bus.BusctlAsync(null, "introspect", Object, ObjectPath);

        Assert.True(devices.Output.StartsWith("a(sstttttss) 1 \"virtio-mem@0x100000000\" \"virtio4\" 4294967296 1073741824 536870912 536870912 536870912 \"ready\" \"512 MiB plugged", StringComparison.Ordinal), devices.Output);
        Assert.Contains(".VirtioMem", introspect.Output, StringComparison.Ordinal);
    }

    /// <summary>dbus-monitor has installed its match: a probe signal on the object's path reaches it (sent again until seen).</summary>
    private static async Task MonitorListensAsync(PrivateSystemBus bus, ConcurrentQueue<string> lines)
    {
        for (var attempt = 0; attempt < 100 && !lines.Any(l => l.Contains("member=MonitorProbe", StringComparison.Ordinal)); attempt++)
        {
            await bus.BusctlAsync(null, "emit", ObjectPath, "org.guestagent.Test", "MonitorProbe");
            for (var wait = 0; wait < 20 && !lines.Any(l => l.Contains("member=MonitorProbe", StringComparison.Ordinal)); wait++)
            {
                await Task.Yield();
                await Task.Delay(10, TestContext.Current.CancellationToken);
            }
        }

        Assert.Contains(lines, l => l.Contains("member=MonitorProbe", StringComparison.Ordinal));
    }

    // dbus-monitor writes each message as it comes (busctl monitor buffers when not on a terminal).
    private static Process StartMonitor(string address, ConcurrentQueue<string> lines) =>
        LineCollectingProcess.Start("/usr/bin/dbus-monitor", ["--address", address, $"type='signal',path='{ObjectPath}'"], lines);

    public void Dispose()
    {
        _tree.Dispose();
        _runtime.Dispose();
    }
}
