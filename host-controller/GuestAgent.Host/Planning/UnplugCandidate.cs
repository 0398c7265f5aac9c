namespace GuestAgent.Host.Planning;

/// <summary>A hot-plugged DIMM that a shrink may release.</summary>
public sealed record UnplugCandidate(string Id, long Size, int? Slot);
