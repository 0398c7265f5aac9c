using GuestAgent.Protocol.Sizes;

namespace GuestAgent.Host.Operations;

/// <summary>Everything <c>guest-agent-host</c> is told on its command line (README, "Host controller options").</summary>
public sealed record HostOptions
{
    /// <summary>QEMU's QMP unix socket (the bare-QEMU backend).</summary>
    public string? QmpPath { get; init; }

    /// <summary>libvirt's connection URI (the libvirt backend), e.g. <c>qemu:///system</c>.</summary>
    public string? LibvirtUri { get; init; }

    /// <summary>The libvirt domain's name or UUID.</summary>
    public string? Domain { get; init; }

    /// <summary>libvirt: apply every change to the domain's persistent definition too (default: live only).</summary>
    public bool Persistent { get; init; }

    /// <summary>The host end of the VM's virtio-serial chardev socket; null: the one libvirt's domain XML names, else no agent.</summary>
    public string? AgentPath { get; init; }

    /// <summary>The state file; null: <c>STATE-DIRECTORY/VM-KEY.json</c>.</summary>
    public string? StatePath { get; init; }

    /// <summary>Where state files live when <see cref="StatePath"/> is not given.</summary>
    public string StateDirectory { get; init; } = DefaultStateDirectory;

    /// <summary>Where the per-VM locks live (named after the VM, whichever socket or state file a controller uses).</summary>
    public string LockDirectory { get; init; } = DefaultLockDirectory;

    public const string DefaultStateDirectory = "/var/lib/guest-agent-host";

    public const string DefaultLockDirectory = "/run/guest-agent-host";

    /// <summary>The virtio-serial port the agent listens on (its name in the guest).</summary>
    public string AgentPortName { get; init; } = "org.guestagent.memory.0";

    public int? Slots { get; init; }

    public long? MaxMemory { get; init; }

    public long Multiple { get; init; } = 128 * ByteSize.MiB;

    /// <summary>Assumed when the agent does not answer and has never told the block size.</summary>
    public long DefaultBlockSize { get; init; } = 128 * ByteSize.MiB;

    public TimeSpan AgentTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan QmpTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan PrepareTimeout { get; init; } = TimeSpan.FromMinutes(5);

    public TimeSpan UnplugTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan OnlineTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>What this run does, for the lock's holder file and others' messages: <c>unplug ga-dimm0</c>.</summary>
    public string Command { get; init; } = "a command";

    /// <summary>
    /// A read-only run (<c>status</c>): it does not wait for the VM's lock nor fail on it. When the lock is free it
    /// takes it just long enough to reconcile the state file; when another holds it, it reads without reconciling and
    /// names the holder, and does not wait for a monitor or agent channel the holder has.
    /// </summary>
    public bool ReadOnly { get; init; }

    /// <summary>How long a virtio-mem device's size may stand still short of its target before the resize is given up.</summary>
    public TimeSpan ResizeStallTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
