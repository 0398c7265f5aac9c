namespace GuestAgent.Host.Agent;

/// <summary>A DIMM's readiness as the guest reports it (docs/model.md), for the host's decisions.</summary>
public enum GuestReadiness
{
    Unknown,
    Ready,
    NotReady,
    Busy,
    BootMemory,
}
