namespace GuestAgent.Host.Hypervisor;

/// <summary>
/// A virtio-mem device as the hypervisor lists it: one region of <see cref="MaxSize"/> bytes at <see cref="Addr"/>, of
/// which the guest has plugged <see cref="Size"/> bytes, asked to plug <see cref="RequestedSize"/>. Resized in
/// multiples of <see cref="BlockSize"/>; the guest's driver does the work, and a shrink it cannot complete has no
/// failure event: <see cref="Size"/> just stays above <see cref="RequestedSize"/>.
/// </summary>
public sealed record VirtioMemDevice
{
    /// <summary>QEMU's device id (<c>vm0</c>) or libvirt's alias (<c>virtiomem0</c>).</summary>
    public required string Id { get; init; }

    /// <summary>Where its region starts in guest physical memory (QEMU's <c>memaddr</c>).</summary>
    public long Addr { get; init; }

    public long Size { get; init; }

    public long RequestedSize { get; init; }

    public long MaxSize { get; init; }

    public long BlockSize { get; init; }

    public int Node { get; init; }
}
