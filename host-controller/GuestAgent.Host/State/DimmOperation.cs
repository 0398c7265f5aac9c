namespace GuestAgent.Host.State;

/// <summary>What the controller was doing to a DIMM, recorded before each step so a restarted controller can finish or roll back.</summary>
public enum DimmOperation
{
    None,

    /// <summary><c>object-add</c> of the backend is being (or was) sent.</summary>
    AddingBackend,

    /// <summary><c>device_add</c> is being (or was) sent.</summary>
    AddingDevice,

    /// <summary>The guest is offlining the DIMM's blocks (<c>prepare-unplug</c>).</summary>
    Preparing,

    /// <summary><c>device_del</c> was sent; waiting for <c>DEVICE_DELETED</c>.</summary>
    Deleting,

    /// <summary>QEMU released the device; the backend still has to be removed with <c>object-del</c>.</summary>
    RemovingBackend,
}
