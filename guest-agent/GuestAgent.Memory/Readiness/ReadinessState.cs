namespace GuestAgent.Memory.Readiness;

/// <summary>Whether the host may unplug a DIMM now.</summary>
public enum ReadinessState
{
    /// <summary>Every block is online in ZONE_MOVABLE or already offline: the guest will let it go.</summary>
    Ready,

    /// <summary>At least one block would make the guest refuse (kernel zone, spanning zones, going offline, unreadable).</summary>
    NotReady,

    /// <summary>The agent is working on this DIMM (preparing or cancelling an unplug).</summary>
    Busy,

    /// <summary>Boot memory: not a memory device, never removable.</summary>
    BootMemory,
}
