namespace GuestAgent.Vm.Tests;

/// <summary>One guest booted for the <see cref="GuestVmCollection"/>, with the agent running in it.</summary>
public sealed class GuestVmFixture : ScenarioVm
{
    private bool _plugged;

    /// <summary>Plugs two 256 MiB DIMMs once and waits until the guest kernel says every block is Movable.</summary>
    public async Task EnsureTwoDimmsAsync()
    {
        if (!_plugged)
        {
            await Qmp.PlugDimmAsync("dimm0", 256L << 20);
            await Qmp.PlugDimmAsync("dimm1", 256L << 20);
            _plugged = true;
        }

        await Vm.WaitInGuestAsync(
            "test \"$(cat /sys/devices/system/memory/memory3[2-5]/valid_zones | sort -u)\" = Movable",
            "memory32-35 Movable",
            TimeSpan.FromSeconds(60));
    }
}
