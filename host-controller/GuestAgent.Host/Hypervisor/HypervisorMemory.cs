using GuestAgent.Host.Planning;

namespace GuestAgent.Host.Hypervisor;

/// <summary>The VM's memory as the hypervisor says now: boot memory, its DIMMs, and the limits it knows.</summary>
public sealed record HypervisorMemory
{
    public required long BootMemory { get; init; }

    public required IReadOnlyList<HypervisorDimm> Dimms { get; init; }

    /// <summary>Its virtio-mem devices (KubeVirt's way of hot-plugging memory).</summary>
    public IReadOnlyList<VirtioMemDevice> VirtioMem { get; init; } = [];

    /// <summary>DIMM slots; null when the hypervisor cannot say.</summary>
    public int? Slots { get; init; }

    /// <summary>The most memory boot memory and DIMMs may add up to; null when the hypervisor cannot say.</summary>
    public long? MaxMemory { get; init; }

    public long PluggedMemory => Dimms.Sum(d => d.Size);

    /// <summary>What the guest's virtio-mem devices have plugged.</summary>
    public long VirtioMemPlugged => VirtioMem.Sum(d => d.Size);

    /// <summary>Boot memory, DIMMs and virtio-mem: the VM's memory now (KubeVirt's <c>guestCurrent</c>).</summary>
    public long CurrentMemory => BootMemory + PluggedMemory + VirtioMemPlugged;

    /// <summary>The DIMMs' layout; virtio-mem is resized, not plugged, so only its regions' room under maxmem is in it.</summary>
    public MemoryLayout Layout => new(BootMemory, PluggedMemory, Dimms.Count, VirtioMem.Sum(d => d.MaxSize));

    /// <summary>By id or by the name a DIMM without an id goes by (<c>slotN</c>).</summary>
    public HypervisorDimm? Find(string name) => Dimms.FirstOrDefault(d => d.Id == name) ?? Dimms.FirstOrDefault(d => d.Id is null && d.Name == name);
}
