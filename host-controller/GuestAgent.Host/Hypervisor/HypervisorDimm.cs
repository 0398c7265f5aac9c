namespace GuestAgent.Host.Hypervisor;

/// <summary>A DIMM as the hypervisor lists it, whichever backend: QEMU's <c>query-memory-devices</c> or libvirt's domain XML.</summary>
public sealed record HypervisorDimm
{
    /// <summary>The device id (QEMU) or alias (libvirt); null for a DIMM QEMU lists without one.</summary>
    public string? Id { get; init; }

    /// <summary>
    /// What the host calls it in commands: the id, or <c>slotN</c> for a DIMM without an id (it can still be named,
    /// and unplugged, that way).
    /// </summary>
    public string Name => Id ?? (Slot is { } slot ? "slot" + slot.ToString(System.Globalization.CultureInfo.InvariantCulture) : "unnamed");

    /// <summary>How the backend addresses it for removal when it has no id (QEMU's QOM path); null otherwise.</summary>
    public string? Path { get; init; }

    /// <summary>The memory backend object's id (QEMU); null where the hypervisor manages it (libvirt).</summary>
    public string? Backend { get; init; }

    public int? Slot { get; init; }

    public long Addr { get; init; }

    public long Size { get; init; }

    public int Node { get; init; }

    /// <summary>Plugged while the VM ran (false for DIMMs on the command line or in the domain definition).</summary>
    public bool Hotplugged { get; init; }
}
