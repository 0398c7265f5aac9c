using System.Globalization;
using System.Text.Json.Nodes;
using GuestAgent.VmHarness;

namespace GuestAgent.Vm.Tests;

/// <summary>
/// The systemd guest's scenarios, in one guest, one after another (each leaves the agent running for the next): what
/// ships for RHEL/CentOS (the Type=notify unit with its watchdog and hardening, the udev drop-in, the D-Bus policy, the
/// RPM's scriptlets) run by the real systemd, udevd, dbus-daemon and rpm. Debian's rpm defines no
/// <c>%systemd_post</c>: the spec's fallback branches are what runs here. Each step reads the guest's own view
/// (systemctl, journalctl, sysfs, busctl, rpm) rather than the agent's word.
/// </summary>
public sealed class SystemdGuestScenarios(SystemdGuestVm vm) : IClassFixture<SystemdGuestVm>
{
    private const long M = 1L << 20;
    private const string AutoOnline = "/sys/devices/system/memory/auto_online_blocks";
    private const string Bus = "org.guestagent.Memory1 /org/guestagent/Memory1 org.guestagent.Memory1";

    /// <summary>rpm with RHEL's database (Debian's rpm keeps one per user in ~/.rpmdb); tests/vm/init installs with it.</summary>
    private const string Rpm = "rpm --dbpath /var/lib/rpm";

    private Task<string> Sh(string command, TimeSpan? limit = null) => vm.Vm.Shell.CheckAsync(command, limit);

    private async Task<string> ShowAsync(string property) => (await Sh($"systemctl show guest-agent -p {property} --value")).Trim();

    private async Task<string> JournalAsync(string priority, string since = "") =>
        (await Sh($"journalctl --sync; journalctl -b -u guest-agent -p {priority} -o cat --no-pager {since}")).Trim();

    private async Task<string> MainPidAsync() => await ShowAsync("MainPID");

    /// <summary>Waits until the unit is active with a main process other than <paramref name="not"/>; returns its PID.</summary>
    private async Task<string> ActiveAgainAsync(string not, TimeSpan limit)
    {
        await vm.Vm.WaitInGuestAsync(
            $"test \"$(systemctl is-active guest-agent)\" = active && p=$(systemctl show guest-agent -p MainPID --value) && test \"$p\" != 0 && test \"$p\" != {not}",
            "guest-agent active with a new main process",
            limit);
        return await MainPidAsync();
    }

    private async Task<(string Name, (int Slot, long Addr, long Size) Dimm)> PlugAsync(string id)
    {
        await vm.Qmp.PlugDimmAsync(id, 256 * M);
        var dimm = (await vm.QemuDimmsAsync())[id];
        return (id, dimm);
    }

    private string BlocksMovable((int Slot, long Addr, long Size) dimm)
    {
        var first = dimm.Addr / (128 * M);
        return $"test \"$(cat /sys/devices/system/memory/memory{first}/valid_zones /sys/devices/system/memory/memory{first + 1}/valid_zones | sort -u)\" = Movable";
    }

    [Fact]
    public Task TheUnitThePortTheRuleTheBusTheLogsFaultsAndThePackageLifeCycle() => WithJournalAsync(async () =>
    {
        using var timing = new ScenarioTimings("systemd guest: scenarios 1-7 of the systemd issue");
        timing.Step(vm.StartupFinished);

        // 1. The unit starts by itself at boot (enabled by the package's preset), active only after READY=1, which
        // the agent sends once the first scan is served; STATUS= says something useful.
        Assert.Equal("enabled", (await Sh("systemctl is-enabled guest-agent")).Trim());
        Assert.Equal("notify", await ShowAsync("Type"));
        Assert.Equal("active running", $"{await ShowAsync("ActiveState")} {await ShowAsync("SubState")}");
        Assert.Matches(@"^\d+ DIMMs?, \d+ ready, policy movable, no host connected$", await ShowAsync("StatusText"));
        var boot = (await Sh("journalctl --sync; journalctl -b -u guest-agent -o cat --no-pager")).Split('\n');
        var served = Array.FindIndex(boot, l => l.Contains("Serving the protocol on control socket", StringComparison.Ordinal));
        var started = Array.FindIndex(boot, l => l.StartsWith("Started guest-agent.service", StringComparison.Ordinal));
        Assert.True(served >= 0 && started > served, "READY=1 after the first scan is served:\n" + string.Join('\n', boot));
        Assert.Equal("online_movable", (await Sh("cat " + AutoOnline)).Trim());
        var security = (await Sh("systemd-analyze security guest-agent --no-pager | tail -1")).Trim();
        Assert.Matches(@"Overall exposure level for guest-agent\.service: \d+\.\d", security);
        timing.Step(security);

        // 3. Started on demand: not enabled, stopped; the port appears (hot-plugged over QMP) and the rule's
        // SYSTEMD_WANTS starts the agent, which the host then reaches.
        await Sh("systemctl disable --now guest-agent");
        Assert.Equal("inactive", (await vm.Vm.Shell.RunAsync("systemctl is-active guest-agent")).Output.Trim());
        Assert.Equal("offline", (await Sh("cat " + AutoOnline)).Trim()); // restored by the stop
        await TestVm.AddAgentPortAsync(vm.Qmp);
        var pid = await ActiveAgainAsync("0", TimeSpan.FromSeconds(60));
        Assert.True((await vm.StatusAsync())["agent-connected"]!.GetValue<bool>());
        await Sh("systemctl enable guest-agent");
        timing.Step("started by the port's appearance");

        // 2. A DIMM plugged while the agent is stopped, and while its unit is masked: onlined Movable by the drop-in
        // under the real udevd; ready when the agent runs again. With the agent running, the kernel onlines (the agent
        // set auto_online_blocks) and the drop-in finds the block online: no second write, no EINVAL in the journal.
        await Sh("systemctl stop guest-agent");
        var (_, stopped) = await PlugAsync("d-stopped");
        await vm.Vm.WaitInGuestAsync(BlocksMovable(stopped), "d-stopped Movable by udev", TimeSpan.FromSeconds(60));
        Assert.Contains("GUEST_AGENT_ONLINING=udev", await Sh($"udevadm settle; udevadm info /sys/devices/system/memory/memory{stopped.Addr / (128 * M)}"), StringComparison.Ordinal);
        await Sh("systemctl mask --runtime guest-agent");
        var (_, masked) = await PlugAsync("d-masked");
        await vm.Vm.WaitInGuestAsync(BlocksMovable(masked), "d-masked Movable by udev", TimeSpan.FromSeconds(60));
        await Sh("systemctl unmask --runtime guest-agent && systemctl start guest-agent");
        pid = await ActiveAgainAsync(pid, TimeSpan.FromSeconds(60));
        var (_, running) = await PlugAsync("d-running");
        await vm.Vm.WaitInGuestAsync(BlocksMovable(running), "d-running Movable", TimeSpan.FromSeconds(60));
        var status = await vm.StatusAsync();
        foreach (var id in new[] { "d-stopped", "d-masked", "d-running" })
        {
            var row = status["dimms"]!.AsArray().Single(d => d!["id"]!.GetValue<string>() == id)!;
            Assert.Equal("ready", row["readiness"]!.GetValue<string>());
        }

        var onlining = await Sh($"udevadm settle; udevadm info /sys/devices/system/memory/memory{running.Addr / (128 * M)}");
        Assert.Contains("GUEST_AGENT_ONLINING=daemon", onlining, StringComparison.Ordinal);
        Assert.DoesNotContain("EINVAL", await JournalAsync("debug"), StringComparison.Ordinal);
        Assert.DoesNotContain("memory", (await Sh("journalctl --sync; journalctl -b -u systemd-udevd -p warning -o cat --no-pager")).Trim(), StringComparison.Ordinal);
        timing.Step("udev drop-in and agent agree");

        // 5. D-Bus on the system bus with the installed policy: reading as an unprivileged user works, a method that
        // changes memory is refused for that user and works for root.
        var policy = await Sh($"setpriv --reuid=nobody --regid=nogroup --clear-groups busctl --system get-property {Bus} Policy");
        Assert.Equal("s \"movable\"", policy.Trim());
        var denied = await vm.Vm.Shell.RunAsync($"setpriv --reuid=nobody --regid=nogroup --clear-groups busctl --system call {Bus} PrepareUnplug u {running.Slot}");
        Assert.NotEqual(0, denied.Code);
        Assert.Matches("(?i)access denied|only root", denied.Output);
        Assert.StartsWith("bs true", (await Sh($"busctl --system call {Bus} PrepareUnplug u {running.Slot}")).Trim(), StringComparison.Ordinal);
        Assert.StartsWith("bs true", (await Sh($"busctl --system call {Bus} CancelUnplug u {running.Slot}")).Trim(), StringComparison.Ordinal);
        await vm.Vm.WaitInGuestAsync(BlocksMovable(running), "d-running Movable again", TimeSpan.FromSeconds(60));
        timing.Step("D-Bus policy enforced");

        // 6. Logs: nothing at warning on this healthy run; a refused offline shows up at warning with the DIMM and errno.
        Assert.Equal("", await JournalAsync("warning"));
        await Sh("systemctl stop guest-agent && echo online > " + AutoOnline);
        var (_, kernel) = await PlugAsync("d-kernel");
        var kernelFirst = kernel.Addr / (128 * M);
        await vm.Vm.WaitInGuestAsync($"grep -qx Normal /sys/devices/system/memory/memory{kernelFirst}/valid_zones", "d-kernel online Normal", TimeSpan.FromSeconds(60));
        await Sh("echo offline > " + AutoOnline + " && systemctl start guest-agent");
        pid = await ActiveAgainAsync(pid, TimeSpan.FromSeconds(60));
        await Sh("mkdir -p /tmp/objects && for i in $(seq 1 3000); do : > /tmp/objects/$i; done", TimeSpan.FromMinutes(5));
        var refused = await vm.Vm.Shell.RunAsync($"guest-agent prepare-unplug {kernel.Slot} --force");
        Assert.NotEqual(0, refused.Code);
        var warnings = await JournalAsync("warning");
        Assert.Contains($"Preparing slot{kernel.Slot} for unplug: memory", warnings, StringComparison.Ordinal);
        Assert.Contains("EBUSY", warnings, StringComparison.Ordinal);
        timing.Step("a refused offline logged at warning");

        // 4. Faults: kill -9 → restarted by systemd, model rebuilt from sysfs, AGENT_READY for the host again;
        // kill -STOP → the watchdog (shortened by a drop-in) kills and restarts it.
        var restarts = int.Parse(await ShowAsync("NRestarts"), CultureInfo.InvariantCulture);
        await Sh($"kill -9 {pid}");
        pid = await ActiveAgainAsync(pid, TimeSpan.FromSeconds(60));
        Assert.Equal(restarts + 1, int.Parse(await ShowAsync("NRestarts"), CultureInfo.InvariantCulture));
        // The runtime directory outlived the crash (RuntimeDirectoryPreserve=restart): what auto_online_blocks is to
        // get back, and any unplug journal, are there for the new agent.
        Assert.Equal("offline", (await Sh("cat /run/guest-agent/auto-online-before")).Trim());
        var afterKill = await vm.StatusAsync();
        Assert.True(afterKill["agent-connected"]!.GetValue<bool>());
        Assert.Equal("ready", afterKill["dimms"]!.AsArray().Single(d => d!["id"]!.GetValue<string>() == "d-running")!["readiness"]!.GetValue<string>());
        await Sh("mkdir -p /run/systemd/system/guest-agent.service.d && printf '[Service]\\nWatchdogSec=6s\\n' > /run/systemd/system/guest-agent.service.d/50-test-watchdog.conf && systemctl daemon-reload && systemctl restart guest-agent");
        pid = await ActiveAgainAsync(pid, TimeSpan.FromSeconds(60));
        await Sh($"kill -STOP {pid}");
        pid = await ActiveAgainAsync(pid, TimeSpan.FromSeconds(90));
        Assert.Contains("Watchdog timeout", await Sh("journalctl --sync; journalctl -b -u guest-agent -o cat --no-pager | grep -i watchdog"), StringComparison.Ordinal);
        await Sh("rm -f /run/systemd/system/guest-agent.service.d/50-test-watchdog.conf && systemctl daemon-reload && systemctl restart guest-agent");
        pid = await ActiveAgainAsync(pid, TimeSpan.FromSeconds(60));
        timing.Step("restarted after kill -9 and after the watchdog");

        // 1 (continued). Under SystemCallFilter=@system-service the agent made no call outside it: the test's drop-in
        // logs any (SystemCallLog=~@system-service, audit type=1326 in the kernel log).
        Assert.Equal("", (await Sh("dmesg | grep 'type=1326' | grep -i guest-agent || true")).Trim());

        // 7. Package life cycle: an upgrade keeps the changed configuration and restarts the agent on the new
        // binary; removal stops it, removes the unit and rule, and leaves no runtime directory, auto_online_blocks
        // as it was before.
        await Sh("sed -i 's/\"AutoMovableRatio\": 301/\"AutoMovableRatio\": 250/' /etc/guest-agent/guest-agent.json");
        await Sh($"{Rpm} -U --nodeps {VmImage.Rpm(2)}", TimeSpan.FromMinutes(2));
        Assert.EndsWith("-2.x86_64", (await Sh($"{Rpm} -q guest-agent")).Trim(), StringComparison.Ordinal);
        Assert.Contains("\"AutoMovableRatio\": 250", await Sh("cat /etc/guest-agent/guest-agent.json"), StringComparison.Ordinal);
        pid = await ActiveAgainAsync(pid, TimeSpan.FromSeconds(60));
        Assert.Equal("enabled", (await Sh("systemctl is-enabled guest-agent")).Trim());
        await Sh($"{Rpm} -e --nodeps guest-agent", TimeSpan.FromMinutes(2));
        Assert.NotEqual(0, (await vm.Vm.Shell.RunAsync($"{Rpm} -q guest-agent")).Code);
        Assert.NotEqual(0, (await vm.Vm.Shell.RunAsync($"kill -0 {pid}")).Code);
        Assert.Equal("", (await Sh("ls /usr/lib/systemd/system/guest-agent.service /usr/lib/udev/rules.d/39-guest-agent-memory.rules /run/guest-agent /usr/bin/guest-agent 2>/dev/null || true")).Trim());
        Assert.Contains("not-found", await ShowAsync("LoadState"), StringComparison.Ordinal);
        Assert.Equal("offline", (await Sh("cat " + AutoOnline)).Trim());
        Assert.Contains("\"AutoMovableRatio\": 250", await Sh("cat /etc/guest-agent/guest-agent.json.rpmsave"), StringComparison.Ordinal);
        timing.Step("upgraded and removed");
        await vm.Vm.Shell.RunAsync("rm -rf /tmp/objects");
    });

    /// <summary>Runs the scenario; on failure the agent's journal and the kernel's last messages are added.</summary>
    private async Task WithJournalAsync(Func<Task> body)
    {
        try
        {
            await body();
        }
        catch (Exception e) when (e is not Xunit.Sdk.SkipException)
        {
            var log = (await vm.Vm.Shell.RunAsync("journalctl -b -u guest-agent -o short-monotonic --no-pager | tail -60; echo ---; dmesg | tail -20")).Output;
            throw new InvalidOperationException($"{e.Message}\n--- journal of guest-agent, dmesg ---\n{log}", e);
        }
    }
}
