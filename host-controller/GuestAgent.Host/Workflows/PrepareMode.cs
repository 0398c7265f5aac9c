namespace GuestAgent.Host.Workflows;

/// <summary>How the guest takes part in an unplug.</summary>
public enum PrepareMode
{
    /// <summary>No prepare: the hypervisor asks the guest kernel directly (<c>--force</c> without a usable agent, or a DIMM the guest calls not ready).</summary>
    None,

    /// <summary><c>prepare-unplug</c>: the agent offlines the DIMM first, checking capacity, watching pressure, rolling back.</summary>
    Prepare,

    /// <summary><c>prepare-unplug</c> with <c>force</c>: past the capacity check, still stopping if the guest stalls on memory.</summary>
    ForcedPrepare,
}
