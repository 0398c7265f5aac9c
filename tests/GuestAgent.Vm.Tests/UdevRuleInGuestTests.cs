using GuestAgent.VmHarness;

namespace GuestAgent.Vm.Tests;

/// <summary>
/// The udev drop-in acting on a real offline memory block of the guest kernel (`udevadm test` writes the attributes it
/// assigns): without the daemon's file the block comes back Movable; with the daemon's word online_kernel it comes
/// back in the kernel zone. A guest of its own: the block it leaves in the kernel zone, above the Movable span, would
/// change what the writer contract finds on the shared guest (the top of the Movable span).
/// </summary>
public sealed class UdevRuleInGuestTests(ScenarioVm vm) : IClassFixture<ScenarioVm>
{
    [Fact]
    public Task TheRuleOnlinesOfflineBlocksWithTheDaemonsWordOrMovable() => vm.WithGuestLogAsync(async () =>
    {
        if ((await vm.Vm.Shell.RunAsync("test -x /usr/bin/udevadm && test -x /usr/bin/unshare")).Code != 0)
        {
            Assert.Skip("udevadm or unshare missing on the host root");
        }

        await vm.Qmp.PlugDimmAsync("dimm-udev", 256L << 20);
        var slot = (await vm.Qmp.ExecuteAsync("query-memory-devices"))!.AsArray()
            .Single(d => d!["data"]!["id"]!.GetValue<string>() == "dimm-udev")!["data"]!["slot"]!.GetValue<int>();
        var device = $"/sys/bus/acpi/devices/PNP0C80:{slot:x2}";
        await vm.Vm.WaitInGuestAsync($"test \"$(cat {device}/physical_node*/valid_zones | sort -u)\" = Movable", "the DIMM Movable", TimeSpan.FromSeconds(60));
        var blocks = (await vm.Vm.Shell.CheckAsync($"for l in {device}/physical_node*; do basename $(readlink $l); done")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, blocks.Length);
        await vm.Vm.Shell.CheckAsync($"for b in {string.Join(' ', blocks)}; do echo offline > /sys/devices/system/memory/$b/state; done");

        var rules = Path.Combine(VmImage.RepositoryRoot(), "udev");
        string Test(string block, string daemonWord) =>
            $"unshare -m sh -c 'mount --bind {rules} /etc/udev/rules.d && mount -t tmpfs tmpfs /run && mkdir -p /run/guest-agent && "
            + (daemonWord.Length > 0 ? $"printf {daemonWord} > /run/guest-agent/onlining-active && " : "")
            + $"udevadm test --action=add /devices/system/memory/{block}' 2>&1 | grep GUEST_AGENT_ONLINING";

        Assert.Contains("GUEST_AGENT_ONLINING=udev", await vm.Vm.Shell.CheckAsync(Test(blocks[1], "")));
        Assert.Equal("Movable", (await vm.Vm.Shell.CheckAsync($"cat /sys/devices/system/memory/{blocks[1]}/valid_zones")).Trim());
        Assert.Contains("GUEST_AGENT_ONLINING=daemon", await vm.Vm.Shell.CheckAsync(Test(blocks[0], "online_kernel")));
        Assert.Equal("Normal", (await vm.Vm.Shell.CheckAsync($"cat /sys/devices/system/memory/{blocks[0]}/valid_zones")).Trim());
    });
}
