namespace GuestAgent.Protocol.Payloads;

/// <summary>One hot-plugged device in <c>MEMORY_STATUS</c>: what the guest can give back of it now (its readiness and capacity rules).</summary>
public sealed record DeviceStatusReport
{
    /// <summary>As in the model: <c>slotN</c>, <c>virtio-mem@0x…</c>, <c>range@0x…</c>.</summary>
    public required string Id { get; init; }

    /// <summary><c>acpi</c>, <c>virtio-mem</c> or <c>range</c>.</summary>
    public required string Kind { get; init; }

    public int? Slot { get; init; }

    /// <summary>Guest physical start address in bytes (a virtio-mem device's <c>memaddr</c>).</summary>
    public required long Start { get; init; }

    /// <summary>A DIMM's size; a virtio-mem device's plugged bytes.</summary>
    public required long Size { get; init; }

    /// <summary>Bytes that can go now: a ready DIMM its size, else 0; a virtio-mem device its unpluggable part.</summary>
    public required long CanGo { get; init; }

    /// <summary>The readiness reason, for people.</summary>
    public required string Reason { get; init; }
}
