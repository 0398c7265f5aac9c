namespace GuestAgent.Host.Hypervisor;

/// <summary>The steps of a plug, each recorded in the state file before it is taken.</summary>
public enum PlugStep
{
    /// <summary>The memory backend object (QEMU's <c>object-add</c>; libvirt has none of its own).</summary>
    Backend,

    /// <summary>The DIMM itself (<c>device_add</c>; libvirt's attach).</summary>
    Device,
}
