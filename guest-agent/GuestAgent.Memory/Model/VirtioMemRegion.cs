namespace GuestAgent.Memory.Model;

/// <summary>
/// The guest physical address range of one virtio-mem device (its <c>virtioN</c> resource in <c>/proc/iomem</c>), and
/// how much of it the driver has added as memory (its <c>System RAM (virtio_mem)</c> children).
/// </summary>
/// <param name="Device">The virtio device, <c>virtioN</c> (<c>/sys/bus/virtio/devices/virtioN</c>).</param>
/// <param name="Start">First byte of the device's region.</param>
/// <param name="Size">The region's size: the device's largest size.</param>
/// <param name="AddedBytes">Bytes of the region added to the guest as System RAM (whole memory blocks).</param>
public sealed record VirtioMemRegion(string Device, long Start, long Size, long AddedBytes)
{
    public long End => Start + Size;

    public bool Contains(long address) => address >= Start && address < End;
}
