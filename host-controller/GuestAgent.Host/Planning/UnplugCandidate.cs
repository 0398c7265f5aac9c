namespace GuestAgent.Host.Planning;

/// <summary>A DIMM that a shrink may release.</summary>
/// <param name="Id">Its name.</param>
/// <param name="Size">Its size.</param>
/// <param name="Slot">Its slot (newer slots go first among equals).</param>
/// <param name="Cost">What releasing it takes from the guest (its online bytes); its size when the guest does not say.</param>
public sealed record UnplugCandidate(string Id, long Size, int? Slot, long? Cost = null)
{
    public long EffectiveCost => Cost ?? Size;
}
