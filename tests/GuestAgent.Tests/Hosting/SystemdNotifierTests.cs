using GuestAgent.Hosting;
using GuestAgent.Memory.Agent;
using GuestAgent.Memory.Capacity;
using GuestAgent.Memory.Operations;
using GuestAgent.Memory.Policy;
using GuestAgent.Memory.Readiness;
using GuestAgent.Memory.Sysfs;
using GuestAgent.TestSupport;

namespace GuestAgent.Tests.Hosting;

public class SystemdNotifierTests
{
    [Fact]
    public async Task SendsStatesToARealDatagramSocket()
    {
        using var socket = new NotifySocket();
        var notifier = new SystemdNotifier(socket.Address);

        notifier.Notify(ServiceState.Ready);
        notifier.Notify(ServiceState.Status("2 DIMMs,\n1 ready"));

        await Eventually.TrueAsync(() => socket.Messages.Count == 2, "two datagrams");
        Assert.Equal(["READY=1", "STATUS=2 DIMMs, 1 ready"], socket.Messages);
        Assert.True(notifier.IsEnabled);
    }

    [Fact]
    public async Task ReachesAnAbstractSocket()
    {
        using var socket = new NotifySocket("guest-agent-test-" + Guid.NewGuid().ToString("N"));

        new SystemdNotifier(socket.Address).Notify(ServiceState.Stopping);

        await Eventually.TrueAsync(() => socket.Messages.Contains("STOPPING=1"), "STOPPING=1");
    }

    [Fact]
    public void OutsideSystemdItDoesNothingAndNeverThrows()
    {
        var disabled = new SystemdNotifier((string?)null);
        disabled.Notify(ServiceState.Ready);
        Assert.False(disabled.IsEnabled);

        new SystemdNotifier("/nonexistent/notify.sock").Notify(ServiceState.Ready);
    }

    [Fact]
    public void TheStatusLineCountsDimmsReadyPolicyAndHost()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBootMemory(8).AddDimm(0, 32, 2, "online", "Movable").AddDimm(1, 34, 2, "online", "Normal");
        using var proc = new FakeProcTree();
        var snapshot = new SysfsMemoryReader(tree.Root).Read();
        var view = AgentViewBuilder.Build(snapshot, OnlinePolicy.Default, new CapacityReader(proc.Root).Read(), 128L << 20);

        Assert.Equal("2 DIMMs, 1 ready, policy movable, host connected", SystemdNotifyService.StatusLine(view, hostConnected: true));
        Assert.Equal("2 DIMMs, 1 ready, policy movable, no host connected", SystemdNotifyService.StatusLine(view, hostConnected: false));
    }
}
