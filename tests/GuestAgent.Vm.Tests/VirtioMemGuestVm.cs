using GuestAgent.VmHarness;

namespace GuestAgent.Vm.Tests;

/// <summary>A guest of Debian's 6.1 kernel (virtio_mem.ko loaded by the test initramfs) with a virtio-mem device of 1 GiB, nothing plugged at boot.</summary>
public sealed class VirtioMemGuestVm : ScenarioVm
{
    public override string Kernel => "6.1";

    protected override async Task<TestVm> StartVmAsync() => await VmStart.StartOrSkipAsync(KernelArguments, Kernel, AgentPortAtBoot, virtioMem: true);
}
