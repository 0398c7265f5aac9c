namespace GuestAgent.Memory.Policy;

/// <summary>How the agent onlines new memory.</summary>
public enum OnlinePolicyKind
{
    /// <summary>Every new DIMM into ZONE_MOVABLE (<c>online_movable</c>): always unpluggable.</summary>
    Movable,

    /// <summary>Movable while movable memory stays within a ratio of kernel-zone memory (per NUMA node), else the kernel zone.</summary>
    AutoMovable,

    /// <summary>Plain <c>online</c>: the kernel's default zone; memory is usable by the kernel but usually not removable.</summary>
    Kernel,

    /// <summary>Observe and report only; never write.</summary>
    None,
}
