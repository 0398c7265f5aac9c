namespace GuestAgent.Host.Autoscale;

/// <summary>
/// The VM's memory as the hypervisor lists it, for a decision: what it has, how it changes (DIMMs, or a virtio-mem
/// device's size) and in what units, how much room is left.
/// </summary>
public sealed record VmShape
{
    public required long Boot { get; init; }

    public required long Current { get; init; }

    /// <summary>The unit of a change: the guest's memory block (DIMMs) or the device's block (virtio-mem).</summary>
    public required long Granularity { get; init; }

    /// <summary>The virtio-mem device it is resized through (its plugged size is <see cref="VmDevice.Size"/>); null: by DIMMs.</summary>
    public VmDevice? VirtioMem { get; init; }

    /// <summary>How much more can be added (maxmem and free slots, or the device's largest size); null when unknown.</summary>
    public long? Room { get; init; }

    /// <summary>The DIMMs (none matter for a VM resized through virtio-mem).</summary>
    public IReadOnlyList<VmDevice> Dimms { get; init; } = [];
}
