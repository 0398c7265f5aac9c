namespace GuestAgent.Vm.Tests;

/// <summary>A guest of Debian's 6.1 kernel whose agent the scenario starts itself.</summary>
public sealed class Kernel61Vm : ScenarioVm
{
    public override string Kernel => "6.1";

    protected override bool StartsAgent => false;
}
