namespace GuestAgent.Vm.Tests;

/// <summary>A guest of Debian's 6.12 kernel whose agent the scenario starts itself.</summary>
public sealed class Kernel612Vm : ScenarioVm
{
    public override string Kernel => "6.12";

    protected override bool StartsAgent => false;
}
