using GuestAgent.VmHarness;

namespace GuestAgent.Vm.Tests;

/// <summary>Scenario 4: the agent is stopped while it offlines a DIMM holding data, and started again.</summary>
public sealed class AgentRestartScenario(ScenarioVm vm) : IClassFixture<ScenarioVm>
{
    [Fact]
    public Task StoppingTheAgentMidPrepareLeavesNothingHalfOffline() => vm.WithGuestLogAsync(async () =>
    {
        using var timing = new ScenarioTimings("scenario 4: agent restart during prepare");
        (await vm.HostAsync("plug", "256M")).Check();
        var (id, (_, addr, size)) = (await vm.QemuDimmsAsync()).Single();
        var firstBlock = addr / (128L << 20);

        // Fill the Movable DIMM with page cache (movable allocations prefer ZONE_MOVABLE), so offlining takes seconds.
        await vm.Vm.Shell.CheckAsync("df -m /tmp; dd if=/dev/zero of=/tmp/fill bs=1M count=300 2>&1", TimeSpan.FromMinutes(3));
        timing.Step("DIMM filled");

        // In the guest: as soon as the agent starts offlining the first block, stop it (SIGTERM, as systemctl stop).
        // Only then: a watcher that gave up must not stop an agent that was never asked.
        await vm.Vm.Shell.CheckAsync(
            $"(for i in $(seq 1 3000); do if grep -q offline /sys/devices/system/memory/memory{firstBlock}/state; then "
            + "kill $(cat /tmp/agent.pid); echo stopped > /tmp/agent.stopped; exit 0; fi; sleep 0.05; done; echo gave-up > /tmp/agent.stopped) > /dev/null 2>&1 &");
        var unplug = await vm.HostAsync("unplug", id, "--prepare-timeout", "120");
        timing.Step($"unplug answered in {unplug.Elapsed.TotalSeconds:0.0} s");
        await vm.Vm.WaitInGuestAsync("test -f /tmp/agent.stopped", "the agent stopped", TimeSpan.FromSeconds(60));
        Assert.Equal("stopped", (await vm.Vm.Shell.CheckAsync("cat /tmp/agent.stopped")).Trim());

        Assert.Equal(1, unplug.Code);
        Assert.Contains("went away during prepare-unplug", unplug.Error, StringComparison.Ordinal);
        Assert.Contains(id, (await vm.QemuDimmsAsync()).Keys);

        await vm.Vm.WaitInGuestAsync("! kill -0 $(cat /tmp/agent.pid) 2>/dev/null", "the old agent gone", TimeSpan.FromSeconds(60));
        await vm.Vm.Shell.CheckAsync("mv /tmp/agent.log /tmp/agent.before-restart.log");
        await vm.Vm.StartAgentAsync();
        await vm.Vm.WaitInGuestAsync(
            $"test \"$(cat /sys/devices/system/memory/memory{firstBlock}/valid_zones /sys/devices/system/memory/memory{firstBlock + 1}/valid_zones | sort -u)\" = Movable",
            "every block online Movable", TimeSpan.FromSeconds(60));
        timing.Step("agent restarted, DIMM online");

        Assert.All(await vm.GuestBlocksAsync(addr, size), b => Assert.Equal("online Movable", b));
        var status = await vm.StatusAsync();
        var row = Assert.Single(status["dimms"]!.AsArray())!;
        Assert.Equal("ready", row["readiness"]!.GetValue<string>());
        Assert.Null(row["operation"]);

        // And the state is consistent enough to finish the job.
        (await vm.HostAsync("unplug", id)).Check();
        Assert.Empty(await vm.QemuDimmsAsync());
        Assert.All(await vm.GuestBlocksAsync(addr, size), b => Assert.Equal("absent", b));
        await vm.Vm.Shell.RunAsync("rm -f /tmp/fill");
    });
}
