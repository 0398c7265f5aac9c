namespace GuestAgent.Vm.Tests;

/// <summary>The core scenarios on Debian's 5.10 kernel.</summary>
public sealed class CoreScenariosOn510(Kernel510Vm vm) : CoreScenariosOnKernel(vm), IClassFixture<Kernel510Vm>;
