namespace GuestAgent.Vm.Tests;

/// <summary>A guest of Debian's 6.1 kernel of its own for the reboot scenario (it is reset midway).</summary>
public sealed class RebootVm : ScenarioVm
{
    public override string Kernel => "6.1";
}
