namespace GuestAgent.Vm.Tests;

/// <summary>The core scenarios on Debian's 6.1 kernel.</summary>
public sealed class CoreScenariosOn61(Kernel61Vm vm) : CoreScenariosOnKernel(vm), IClassFixture<Kernel61Vm>
{
    protected override bool RunsContractSuites => false;
}
