namespace GuestAgent.Vm.Tests;

/// <summary>A guest of Debian's 5.10 kernel whose agent the scenario starts itself.</summary>
public sealed class Kernel510Vm : ScenarioVm
{
    public override string Kernel => "5.10";

    protected override bool StartsAgent => false;
}
