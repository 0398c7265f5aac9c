namespace GuestAgent.Vm.Tests;

/// <summary>A guest of Debian's 6.12 kernel of its own for the reboot scenario (it is reset midway).</summary>
public sealed class Reboot612Vm : ScenarioVm
{
    public override string Kernel => "6.12";
}
