namespace GuestAgent.Memory.Readiness;

/// <summary>
/// What a virtio-mem device has plugged into the guest, in bytes, split by where it is. The driver adds whole memory
/// blocks but plugs them in the device's smaller units, so a block holds anything from one unit to all of it: only the
/// kernel's page accounting (<see cref="VirtioMemAccounting"/>) tells the plugged part.
/// </summary>
/// <param name="Plugged">All of it: <paramref name="Movable"/> + <paramref name="Kernel"/> + <paramref name="Offline"/>.</param>
/// <param name="Movable">Plugged and online in ZONE_MOVABLE: what the guest can give back by moving pages.</param>
/// <param name="Kernel">In kernel zones; at most this (the blocks there, counted whole: their plugged part cannot be told apart from boot memory).</param>
/// <param name="Offline">In added blocks not online yet; at most this (whole blocks).</param>
/// <param name="Note">How the figures were found when not exactly, for the reason.</param>
public sealed record VirtioMemAccount(long Plugged, long Movable, long Kernel, long Offline, string? Note);
