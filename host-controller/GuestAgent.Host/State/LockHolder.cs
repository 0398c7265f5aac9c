namespace GuestAgent.Host.State;

/// <summary>
/// Who holds a VM's lock, written beside it (<c>VM.lock.holder</c>) by the holder: which process, doing what, through
/// which monitor and agent channel, and with which state file, so that a second controller is told whom it waits for
/// and a read-only <c>status</c> can answer even while the holder has the VM's only monitor.
/// </summary>
public sealed record LockHolder
{
    public required int Pid { get; init; }

    /// <summary>What it does, for people: <c>unplug ga-dimm0</c>.</summary>
    public required string Command { get; init; }

    public required DateTimeOffset Since { get; init; }

    /// <summary>Which VM (<see cref="Hypervisor.VmIdentity.Key"/>).</summary>
    public required string Vm { get; init; }

    /// <summary>The QMP socket it holds (QEMU serves one client per monitor), or null under libvirt.</summary>
    public string? Monitor { get; init; }

    /// <summary>The agent channel it holds (one host at a time), or null.</summary>
    public string? Agent { get; init; }

    public required string StateFile { get; init; }

    /// <summary>What <c>autoscale</c> names its steps by: <c>autoscale: grow 256 MiB</c>.</summary>
    public const string AutoscalePrefix = "autoscale";

    /// <summary>An autoscaler's step: a person's command waits for it to end instead of failing (<see cref="LockWaiting"/>).</summary>
    public bool IsAutoscale => Command.StartsWith(AutoscalePrefix, StringComparison.Ordinal);

    /// <summary>For messages: <c>guest-agent-host pid 1234 (unplug ga-dimm0, since 12:00:01)</c>.</summary>
    public string Describe() => $"guest-agent-host pid {Pid} ({Command}, since {Since.ToLocalTime():HH:mm:ss})";
}
