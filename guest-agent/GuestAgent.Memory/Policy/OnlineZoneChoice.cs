namespace GuestAgent.Memory.Policy;

/// <summary>Which zone a DIMM's blocks are onlined into.</summary>
public enum OnlineZoneChoice
{
    /// <summary><c>online_movable</c>.</summary>
    Movable,

    /// <summary>Plain <c>online</c> (the kernel's default zone for the block).</summary>
    Kernel,
}
