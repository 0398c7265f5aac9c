using System.Text.Json.Nodes;

namespace GuestAgent.Vm.Tests;

/// <summary>
/// "Ready means safe" on the real kernel: the outside test's OOM case (a 1 GiB DIMM whose contents cannot fit into
/// the rest of a filled guest) and an offline that meets rising memory pressure. The guest kernel's own view (dmesg,
/// /proc/meminfo, sysfs) is read through the control shell, independently of the agent.
/// </summary>
public sealed class CapacityScenarios(ScenarioVm vm) : IClassFixture<ScenarioVm>
{
    private const string NoOomInDmesg = "! dmesg | grep -q -i -e 'out of memory' -e 'oom-kill' -e 'invoked oom-killer'";

    /// <summary>A tmpfs of its own: the guest's /tmp is capped at half of its boot memory.</summary>
    private const string Fill = "/tmp/fill";

    private Task MountFillAsync() => vm.Vm.Shell.CheckAsync($"mkdir -p {Fill} && (grep -q ' {Fill} ' /proc/mounts || mount -t tmpfs -o size=4G fill {Fill})");

    [Fact]
    public Task ADimmWhoseContentsDoNotFitIsNotReadyIsRefusedAndUnplugsOnceMemoryIsFreed() => vm.WithGuestLogAsync(async () =>
    {
        using var timing = new ScenarioTimings("scenario 7: a full guest: not-ready for capacity, refused, no OOM; ready once freed");
        (await vm.HostAsync("plug", "1G")).Check();
        var (id, (_, addr, size)) = (await vm.QemuDimmsAsync()).Single();
        await vm.Vm.WaitInGuestAsync($"test \"$(cat /sys/devices/system/memory/memory{addr / (128L << 20)}/state)\" = online", "the DIMM online", TimeSpan.FromSeconds(60));

        // The outside test's fill: two 400 MB tmpfs files and a process holding 250 MB of anonymous memory (~1.05 GiB).
        await MountFillAsync();
        await vm.Vm.Shell.CheckAsync($"dd if=/dev/zero of={Fill}/big1 bs=1M count=400 2>&1 && dd if=/dev/zero of={Fill}/big2 bs=1M count=400 2>&1", TimeSpan.FromMinutes(3));
        await vm.Vm.Shell.CheckAsync(
            "(nohup python3 -c \"import time; a = bytearray(b'x') * (250 << 20); open('/tmp/holder.ready', 'w').close(); time.sleep(3600)\" > /tmp/holder.log 2>&1 & echo $! > /tmp/holder.pid)");
        await vm.Vm.WaitInGuestAsync("test -f /tmp/holder.ready", "250 MB of anonymous memory held", TimeSpan.FromMinutes(2));
        timing.Step("guest filled");

        var status = await vm.StatusAsync();
        var row = Assert.Single(status["dimms"]!.AsArray())!;
        Assert.Equal("not-ready", row["readiness"]!.GetValue<string>());
        Assert.Equal("capacity", row["blocker"]!.GetValue<string>());
        Assert.Matches(@"^holds ~\d+ MiB; the rest of the guest has ~\d+ MiB available after the kernel's watermarks, and 128 MiB must stay available", row["reason"]!.GetValue<string>());

        var refused = await vm.HostAsync("unplug", id);
        timing.Step($"unplug refused in {refused.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal(1, refused.Code);
        Assert.Contains("not ready", refused.Error, StringComparison.Ordinal);
        Assert.Contains("must stay available (Memory:UnplugReserve)", refused.Error, StringComparison.Ordinal);
        Assert.Contains(id, (await vm.QemuDimmsAsync()).Keys);
        Assert.All(await vm.GuestBlocksAsync(addr, size), b => Assert.Equal("online Movable", b));
        Assert.Equal(0, (await vm.Vm.Shell.RunAsync(NoOomInDmesg)).Code);
        Assert.Equal(0, (await vm.Vm.Shell.RunAsync("kill -0 $(cat /tmp/holder.pid)")).Code); // the user's process lives

        // The guest's own prepare refuses too, before offlining a block (the host asked nothing of QEMU).
        var guestSide = await vm.Vm.Shell.RunAsync($"{VmHarness.VmImage.AgentBinary()} prepare-unplug 0");
        Assert.NotEqual(0, guestSide.Code);
        Assert.Contains("InsufficientMemory", guestSide.Output, StringComparison.Ordinal);

        await vm.Vm.Shell.CheckAsync($"kill $(cat /tmp/holder.pid); rm -f {Fill}/big1 {Fill}/big2 /tmp/holder.ready");
        await vm.Vm.WaitInGuestAsync("! kill -0 $(cat /tmp/holder.pid) 2>/dev/null", "the holder gone", TimeSpan.FromSeconds(30));
        var ready = await vm.StatusAsync();
        Assert.Equal("ready", ready["dimms"]![0]!["readiness"]!.GetValue<string>());
        var memTotal = await vm.MemTotalKbAsync();

        (await vm.HostAsync("unplug", id)).Check();
        timing.Step("unplugged after freeing memory");
        Assert.Empty(await vm.QemuDimmsAsync());
        Assert.Equal(memTotal - (size / 1024), await vm.MemTotalKbAsync());
        Assert.Equal(0, (await vm.Vm.Shell.RunAsync(NoOomInDmesg)).Code);
    });

    [Fact]
    public Task AnOfflineThatMeetsRisingPressureStopsEarlyAndRollsBack() => vm.WithGuestLogAsync(async () =>
    {
        using var timing = new ScenarioTimings("scenario 8: rising pressure during an offline: stopped early, rolled back");
        (await vm.HostAsync("plug", "512M")).Check();
        var (id, (_, addr, size)) = (await vm.QemuDimmsAsync()).Single(d => d.Value.Size == 512L << 20);
        await vm.Vm.WaitInGuestAsync($"test \"$(cat /sys/devices/system/memory/memory{addr / (128L << 20)}/state)\" = online", "the DIMM online", TimeSpan.FromSeconds(60));

        // Data on the DIMM makes the offline take seconds (movable allocations prefer ZONE_MOVABLE); it still fits.
        await MountFillAsync();
        await vm.Vm.Shell.CheckAsync($"dd if=/dev/zero of={Fill}/data bs=1M count=300 2>&1", TimeSpan.FromMinutes(3));
        var before = await vm.StatusAsync();
        Assert.Equal("ready", Assert.Single(before["dimms"]!.AsArray())!["readiness"]!.GetValue<string>());

        // As soon as the agent records the prepare (before it offlines the first block), something in the guest takes 700 MB.
        await vm.Vm.Shell.CheckAsync(
            $"(for i in $(seq 1 6000); do if ls /run/guest-agent/unplugs/ 2>/dev/null | grep -q slot; then dd if=/dev/zero of={Fill}/surge bs=1M count=700 > /dev/null 2>&1; "
            + "echo done > /tmp/surge.done; exit 0; fi; sleep 0.02; done; echo gave-up > /tmp/surge.done) > /dev/null 2>&1 &");
        var unplug = await vm.HostAsync("unplug", id);
        timing.Step($"unplug answered in {unplug.Elapsed.TotalSeconds:0.0} s");
        await vm.Vm.WaitInGuestAsync("test -f /tmp/surge.done", "the surge done", TimeSpan.FromMinutes(2));
        Assert.Equal("done", (await vm.Vm.Shell.CheckAsync("cat /tmp/surge.done")).Trim());

        Assert.Equal(1, unplug.Code);
        Assert.Contains("the guest would run short of memory without " + id, unplug.Error, StringComparison.Ordinal);
        Assert.Contains("stopped early: available memory fell to", unplug.Error, StringComparison.Ordinal);
        Assert.Contains("the DIMM is still plugged", unplug.Error, StringComparison.Ordinal);
        Assert.Contains(id, (await vm.QemuDimmsAsync()).Keys);
        await vm.Vm.WaitInGuestAsync(
            string.Join(" && ", Enumerable.Range(0, (int)(size >> 27)).Select(i => $"grep -q online /sys/devices/system/memory/memory{(addr >> 27) + i}/state")),
            "every block online again", TimeSpan.FromSeconds(60));
        Assert.All(await vm.GuestBlocksAsync(addr, size), b => Assert.Equal("online Movable", b));
        Assert.Equal(0, (await vm.Vm.Shell.RunAsync(NoOomInDmesg)).Code);
        Assert.Contains("Stopping the offline early", (await vm.Vm.Shell.CheckAsync("cat /tmp/agent.log")), StringComparison.Ordinal);
        var after = await vm.StatusAsync();
        Assert.Null(after["dimms"]![0]!["operation"]);
        await vm.Vm.Shell.RunAsync($"rm -f {Fill}/data {Fill}/surge");

        // Leave the guest as it was found: the scenarios of this class run in either order on one guest.
        (await vm.HostAsync("unplug", id)).Check();
        Assert.Empty(await vm.QemuDimmsAsync());
    });
}
