namespace GuestAgent.Vm.Tests;

/// <summary>The libvirt test domain with a virtio-mem device (1 GiB, 2 MiB blocks, nothing requested at boot), as KubeVirt's virt-launcher defines one.</summary>
public sealed class LibvirtVirtioMemVm : LibvirtGuestVm
{
    protected override bool VirtioMem => true;
}
