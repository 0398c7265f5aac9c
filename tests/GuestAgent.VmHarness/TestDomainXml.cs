using System.Security;

namespace GuestAgent.VmHarness;

/// <summary>
/// The libvirt domain of the test guest: what <see cref="TestVm.StartAsync"/> gives QEMU on its command line, in the
/// XML that works under libvirt 9.0 here (measured: <c>&lt;features&gt;&lt;acpi/&gt;</c>, else libvirt passes
/// <c>-no-acpi</c> and DIMM hotplug cannot work; a NUMA cell, which memory hotplug needs; <c>multidevs='remap'</c> on
/// the 9p shares, else the guest sees /proc and /sys of the host root as one inode). TCG, machine pc, 1 GiB with
/// <c>&lt;maxMemory slots='8'&gt;</c> 4 GiB, no network, no balloon; the console to a file, the control shell and the
/// agent's channel (<c>org.guestagent.memory.0</c>) as unix sockets in <paramref name="directory"/>.
/// </summary>
public static class TestDomainXml
{
    /// <summary>The alias of the virtio-mem device of a domain built with one.</summary>
    public const string VirtioMemAlias = "ua-vmem0";

    /// <param name="virtioMem">Adds a virtio-mem device (alias <c>ua-vmem0</c>: 1 GiB, 2 MiB blocks, nothing requested), as KubeVirt gives a VM.</param>
    /// <param name="ramInitrd">The guest runs from RAM with this initramfs (<see cref="VmImage.MigratableInitrd"/>): no 9p shares, so libvirt can migrate it.</param>
    /// <param name="uuid">The domain's UUID (libvirt makes one up when null).</param>
    public static string Build(string name, string image, string directory, string repository, string extraKernelArguments, bool virtioMem = false, string? ramInitrd = null, string? uuid = null)
    {
        string X(string text) => SecurityElement.Escape(text);
        string P(string file) => X(Path.Combine(directory, file));
        var cmdline = (ramInitrd is null
            ? $"console=ttyS0 panic=-1 quiet guest_agent_repo={repository} {extraKernelArguments}"
            : $"console=ttyS0 panic=-1 quiet guest_agent_root=initramfs {extraKernelArguments}").Trim();
        var shares = ramInitrd is not null ? "" : $"""
                <filesystem type='mount' accessmode='passthrough' multidevs='remap'><source dir='/'/><target dir='hostroot'/><readonly/></filesystem>
                <filesystem type='mount' accessmode='passthrough' multidevs='remap'><source dir='{X(repository)}'/><target dir='repo'/><readonly/></filesystem>
                <filesystem type='mount' accessmode='passthrough' multidevs='remap'><source dir='{P("shared")}'/><target dir='shared'/></filesystem>
            """;
        return $"""
            <domain type='qemu'>
              <name>{X(name)}</name>
              {(uuid is null ? "" : $"<uuid>{X(uuid)}</uuid>")}
              <maxMemory slots='8' unit='GiB'>4</maxMemory>
              <memory unit='GiB'>1</memory>
              <vcpu>1</vcpu>
              <os>
                <type arch='x86_64' machine='pc'>hvm</type>
                <kernel>{X(Path.Combine(image, "vmlinux"))}</kernel>
                <initrd>{X(ramInitrd ?? Path.Combine(image, "initrd.img"))}</initrd>
                <cmdline>{X(cmdline)}</cmdline>
              </os>
              <features><acpi/><apic/></features>
              <cpu mode='maximum' check='none'>
                <numa><cell id='0' cpus='0' memory='1' unit='GiB'/></numa>
              </cpu>
              <on_poweroff>destroy</on_poweroff>
              <on_reboot>destroy</on_reboot>
              <on_crash>destroy</on_crash>
              <devices>
                <emulator>/usr/bin/qemu-system-x86_64</emulator>
                <serial type='file'><source path='{P("console.log")}'/><target port='0'/></serial>
                <serial type='unix'><source mode='bind' path='{P("control.sock")}'/><target port='1'/></serial>
                {shares}
                <controller type='virtio-serial' index='0'/>
                <channel type='unix'><source mode='bind' path='{P("agent.sock")}'/><target type='virtio' name='{TestVm.AgentPortName}'/></channel>
                {(virtioMem ? $"<memory model='virtio-mem'><target><size unit='GiB'>1</size><node>0</node><block unit='MiB'>2</block><requested unit='MiB'>0</requested></target><alias name='{VirtioMemAlias}'/></memory>" : "")}
                <memballoon model='none'/>
              </devices>
            </domain>
            """;
    }
}
