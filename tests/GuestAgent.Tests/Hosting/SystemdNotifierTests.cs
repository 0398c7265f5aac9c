using GuestAgent.Hosting;
using GuestAgent.Memory.Agent;
using GuestAgent.Memory.Capacity;
using GuestAgent.Memory.Policy;
using GuestAgent.Memory.Sysfs;
using GuestAgent.TestSupport;

namespace GuestAgent.Tests.Hosting;

/// <summary>
/// What the agent tells systemd beyond READY=1 and STOPPING=1 (Microsoft.Extensions.Hosting.Systemd's, checked through
/// the real binary in RunCommandTests and under the real systemd in the systemd guest).
/// </summary>
public class SystemdNotifierTests
{
    [Fact]
    public void TheStatusLineCountsDimmsReadyPolicyAndHost()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBootMemory(8).AddDimm(0, 32, 2, "online", "Movable").AddDimm(1, 34, 2, "online", "Normal");
        using var proc = new FakeProcTree();
        var snapshot = new SysfsMemoryReader(tree.Root).Read();
        var view = AgentViewBuilder.Build(snapshot, OnlinePolicy.Default, new CapacityReader(proc.Root).Read(), 128L << 20);

        Assert.Equal("2 DIMMs, 1 ready, policy movable, host connected", SystemdStatusService.StatusLine(view, hostConnected: true));
        Assert.Equal("2 DIMMs, 1 ready, policy movable, no host connected", SystemdStatusService.StatusLine(view, hostConnected: false));
    }

    [Fact]
    public void TheWatchdogIsPingedAtHalfItsPeriodAndOnlyForThisProcess()
    {
        Assert.Equal(TimeSpan.FromSeconds(30), SystemdStatusService.WatchdogInterval("60000000", null));
        Assert.Equal(TimeSpan.FromSeconds(30), SystemdStatusService.WatchdogInterval("60000000", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Null(SystemdStatusService.WatchdogInterval("60000000", "1"));
        Assert.Null(SystemdStatusService.WatchdogInterval(null, null));
        Assert.Null(SystemdStatusService.WatchdogInterval("0", null));
    }
}
