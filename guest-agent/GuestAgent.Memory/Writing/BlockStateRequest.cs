namespace GuestAgent.Memory.Writing;

/// <summary>What can be written to <c>memoryN/state</c>.</summary>
public enum BlockStateRequest
{
    /// <summary><c>online</c>: the kernel's default zone.</summary>
    Online,

    /// <summary><c>online_kernel</c>: a kernel zone.</summary>
    OnlineKernel,

    /// <summary><c>online_movable</c>: ZONE_MOVABLE.</summary>
    OnlineMovable,

    /// <summary><c>offline</c>: migrate every page away and take the block out of use.</summary>
    Offline,
}
