using GuestAgent.Memory.Model;

namespace GuestAgent.Memory.Policy;

/// <summary>What to online for one DIMM: its offline blocks, highest address first, all into one zone.</summary>
/// <param name="Dimm">The DIMM.</param>
/// <param name="Zone">The zone every block goes to.</param>
/// <param name="BlockIds">Offline blocks to online, highest address first (old kernels accept movable only in that order).</param>
/// <param name="Reason">Why this zone, for the log and the model.</param>
public sealed record DimmOnlinePlan(Dimm Dimm, OnlineZoneChoice Zone, IReadOnlyList<int> BlockIds, string Reason);
