using GuestAgent.VmHarness;

namespace GuestAgent.Vm.Tests;

/// <summary>
/// The guest as users run it: systemd as PID 1 (journald, systemd-udevd, the D-Bus system bus), the project's RPM
/// installed before boot with <c>rpm -i</c> (tests/vm/init), so systemd starts the agent itself. The agent's port is
/// not there at boot: the scenarios hot-plug it.
/// </summary>
public sealed class SystemdGuestVm : ScenarioVm
{
    protected override string KernelArguments => $"guest_agent_init=systemd guest_agent_rpm={VmImage.Rpm(1)}";

    protected override bool AgentPortAtBoot => false;

    protected override bool StartsAgent => false;

    /// <summary>How long systemd took to reach its default target, as it says.</summary>
    public string StartupFinished { get; private set; } = "";

    protected override async Task BootedAsync()
    {
        // The control shell starts early in boot, before systemctl can wait on the manager: poll until boot is over.
        await Vm.WaitInGuestAsync(
            "s=$(systemctl is-system-running 2>/dev/null); test \"$s\" = running || test \"$s\" = degraded",
            "systemd's boot finished",
            TimeSpan.FromMinutes(5));
        var state = (await Vm.Shell.RunAsync("systemctl is-system-running")).Output.Trim();
        if (state != "running")
        {
            var failed = (await Vm.Shell.RunAsync("systemctl --failed --no-legend; cat /var/tmp/rpm-install.log")).Output;
            throw new InvalidOperationException($"systemd in the guest is {state}, not running:\n{failed}");
        }

        StartupFinished = (await Vm.Shell.CheckAsync("systemd-analyze | head -1")).Trim();
    }
}
