namespace GuestAgent.Memory.Readiness;

/// <summary>What makes a DIMM not ready, for programs (the reason says it for people).</summary>
public enum ReadinessBlocker
{
    /// <summary>A block is online in a kernel zone (DMA, DMA32, Normal): the kernel will refuse to offline it.</summary>
    KernelZone,

    /// <summary>A block spans several zones (<c>valid_zones</c> = <c>none</c>) and cannot be offlined.</summary>
    SpansZones,

    /// <summary>A block is going offline right now.</summary>
    GoingOffline,

    /// <summary>A block's state or zone could not be read.</summary>
    Unreadable,

    /// <summary>It has no memory blocks the guest can see.</summary>
    NoBlocks,

    /// <summary>What it holds does not fit into the rest of the guest with the reserve kept available.</summary>
    Capacity,

    /// <summary>The guest's memory accounting could not be read, so whether it fits is unknown.</summary>
    CapacityUnknown,
}
