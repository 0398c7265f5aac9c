namespace GuestAgent.Vm.Tests;

/// <summary>The core scenarios on Debian's 6.12 kernel.</summary>
public sealed class CoreScenariosOn612(Kernel612Vm vm) : CoreScenariosOnKernel(vm), IClassFixture<Kernel612Vm>;
