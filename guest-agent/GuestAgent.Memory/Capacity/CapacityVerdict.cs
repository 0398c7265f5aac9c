namespace GuestAgent.Memory.Capacity;

/// <summary>
/// Whether what a set of DIMMs holds can move into the memory that stays, with the reserve kept available. The
/// figures are estimates from the kernel's own accounting (see <see cref="UnplugCapacity"/>).
/// </summary>
/// <param name="Known">False when the guest's memory accounting could not be read: then nothing fits.</param>
/// <param name="Fits">Whether the unplug leaves at least <paramref name="ReserveBytes"/> available.</param>
/// <param name="OnlineBytes">Memory of the DIMMs that is online now (offline blocks hold nothing).</param>
/// <param name="HoldsBytes">At most this much of it is in use and has to move (or be dropped, for file cache).</param>
/// <param name="AvailableBytes">The guest's <c>MemAvailable</c> now.</param>
/// <param name="ReserveBytes">What must stay available after the unplug (<c>Memory:UnplugReserve</c>).</param>
/// <param name="Reason">For a person.</param>
public sealed record CapacityVerdict(bool Known, bool Fits, long OnlineBytes, long HoldsBytes, long AvailableBytes, long ReserveBytes, string Reason)
{
    /// <summary>What would stay available once the DIMMs are gone: their free part goes with them, what they hold moves.</summary>
    public long AfterBytes => AvailableBytes - OnlineBytes;

    /// <summary>Available memory outside the DIMMs, counting their free part (online minus held) as theirs.</summary>
    public long RestAvailableBytes => AvailableBytes - (OnlineBytes - HoldsBytes);

    /// <summary>How much more must be freed in the guest before this fits.</summary>
    public long ShortBytes => Math.Max(0, ReserveBytes - AfterBytes);
}
