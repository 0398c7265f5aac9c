namespace GuestAgent.Memory.Model;

public enum DimmKind
{
    /// <summary>Memory the firmware gave the guest at boot, not a memory device: never removable.</summary>
    Boot,

    /// <summary>An ACPI memory device (<c>PNP0C80</c>): a hypervisor DIMM with a slot.</summary>
    Acpi,

    /// <summary>A virtio-mem device's region: resized by the hypervisor in small units, not plugged as a whole.</summary>
    VirtioMem,

    /// <summary>No ACPI information: a run of contiguous blocks on one node, grouped by address.</summary>
    Range,
}
