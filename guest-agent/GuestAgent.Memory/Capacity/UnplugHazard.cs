namespace GuestAgent.Memory.Capacity;

/// <summary>Something in the guest that can stand in the way of an unplug, beyond a DIMM's zones, for a person.</summary>
/// <param name="Subject">What it concerns: <c>hugetlb</c>, <c>balloon</c>, <c>memmap_on_memory</c>, <c>udev</c>, <c>auto_online_blocks</c>.</param>
/// <param name="Message">What it means and what to do.</param>
public sealed record UnplugHazard(string Subject, string Message);
