namespace GuestAgent.Memory.Model;

/// <summary>
/// One <c>memoryN</c> directory as read from sysfs. Attributes an old kernel lacks are null; raw texts are kept so an
/// unexpected kernel format can be diagnosed.
/// </summary>
public sealed record MemoryBlock
{
    public required int Id { get; init; }

    /// <summary><c>phys_index</c> (hex in sysfs); null when missing or unreadable.</summary>
    public long? PhysIndex { get; init; }

    public required BlockState State { get; init; }

    /// <summary>The raw <c>state</c> text (trimmed), or null if it could not be read.</summary>
    public string? StateText { get; init; }

    /// <summary><c>valid_zones</c>, split; empty when the attribute is missing.</summary>
    public IReadOnlyList<string> ValidZones { get; init; } = [];

    /// <summary>Legacy <c>removable</c>; null where the kernel no longer has it.</summary>
    public bool? Removable { get; init; }

    /// <summary>The <c>online</c> attribute; null where missing.</summary>
    public bool? OnlineFlag { get; init; }

    /// <summary>NUMA node from the block's <c>nodeX</c> link; null when there is none.</summary>
    public int? Node { get; init; }

    public string Name => Sysfs.MemoryBlockName.Format(Id);

    /// <summary>The block's index in units of the block size: <c>phys_index</c>, or the directory number when missing.</summary>
    public long Index => PhysIndex ?? Id;

    /// <summary>For an online block, the zone it is in (<c>none</c> when it spans zones); null for an offline block or unknown.</summary>
    public string? Zone => State == BlockState.Online && ValidZones.Count == 1 ? ValidZones[0] : null;

    public bool IsOnlineMovable => State == BlockState.Online && Zone == ZoneNames.Movable;

    public long StartAddress(long blockSize) => Index * blockSize;
}
