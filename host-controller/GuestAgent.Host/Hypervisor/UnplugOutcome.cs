namespace GuestAgent.Host.Hypervisor;

/// <summary>How a removal request ended.</summary>
public enum UnplugOutcome
{
    /// <summary>The hypervisor reported the device gone (QEMU's <c>DEVICE_DELETED</c>, libvirt's <c>DEVICE_REMOVED</c>).</summary>
    Removed,

    /// <summary>The guest refused the eject (ACPI <c>_OST</c> failure; libvirt's <c>DEVICE_REMOVAL_FAILED</c>).</summary>
    Refused,

    /// <summary>No answer within the time limit.</summary>
    TimedOut,

    /// <summary>The hypervisor went away (QEMU quit or was killed) before saying how the removal ended: the VM is gone.</summary>
    HypervisorGone,
}
