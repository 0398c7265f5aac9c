namespace GuestAgent.Vm.Tests;

/// <summary>A guest whose agent onlines new memory into the kernel zone (policy <c>kernel</c>), as distribution rules do.</summary>
public sealed class KernelZoneVm : ScenarioVm
{
    protected override string AgentArguments => "--policy kernel";
}
