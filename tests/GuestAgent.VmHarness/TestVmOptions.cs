namespace GuestAgent.VmHarness;

/// <summary>How <see cref="TestVm.StartAsync(TestVmOptions)"/> starts a guest.</summary>
public sealed record TestVmOptions
{
    /// <summary>Appended to the kernel command line (e.g. <c>guest_agent_init=systemd</c>, see tests/vm/init).</summary>
    public string ExtraKernelArguments { get; init; } = "";

    /// <summary>The kernel of the matrix: 5.10, 6.1 or 6.12.</summary>
    public string Kernel { get; init; } = VmImage.DefaultKernel;

    /// <summary>Whether the agent's virtserialport is there at boot (else <see cref="TestVm.AddAgentPortAsync"/> hot-plugs it).</summary>
    public bool AgentPort { get; init; } = true;

    /// <summary>Whether the guest gets a virtio-mem device (<see cref="TestVm.VirtioMemId"/>: 1 GiB region, 2 MiB blocks, nothing plugged at boot).</summary>
    public bool VirtioMem { get; init; }

    /// <summary>Appended to QEMU's command line (e.g. what <c>guest-agent-host qemu-args</c> printed).</summary>
    public IReadOnlyList<string> ExtraQemuArguments { get; init; } = [];

    /// <summary>
    /// The guest runs from RAM: the agent, its libraries and the control shell in the initramfs, no 9p share (QEMU
    /// refuses to migrate while one is mounted). Its agent is <see cref="VmImage.RamAgentBinary"/>.
    /// </summary>
    public bool FromRam { get; init; }

    /// <summary>QEMU's <c>-name</c> (none when null).</summary>
    public string? Name { get; init; }

    /// <summary>QEMU's <c>-uuid</c> (none when null): the VM's identity for the controller's lock and state file.</summary>
    public string? Uuid { get; init; }

    /// <summary>
    /// A destination of a live migration: QEMU's <c>-incoming</c> URI (<c>unix:PATH</c>). It does not boot: its control
    /// shell is attached (<see cref="TestVm.AttachShellAsync"/>) once the migration has brought the guest.
    /// </summary>
    public string? Incoming { get; init; }
}
