namespace GuestAgent.Memory.Agent;

/// <summary>A DIMM the agent is offlining (or has offlined and holds for the host), as written before the first block is touched.</summary>
/// <param name="Dimm">Its id.</param>
/// <param name="Prepared">True once every block is offline and the agent holds it for the host's unplug.</param>
/// <param name="Started">When the prepare began.</param>
/// <param name="Zones">Block id → the zone it was online in (where a recovery onlines it again).</param>
public sealed record UnplugJournalEntry(string Dimm, bool Prepared, DateTimeOffset Started, IReadOnlyDictionary<int, string> Zones)
{
    public const string ForUnplug = "unplug";
    public const string ForMakeMovable = "make-movable";

    /// <summary>Why it is offlined: <see cref="ForUnplug"/> (a prepare) or <see cref="ForMakeMovable"/> (offlined to be onlined Movable).</summary>
    public string Purpose { get; init; } = ForUnplug;

    /// <summary>
    /// Whether <paramref name="dimm"/> is the DIMM journaled: the same slot may hold another by now (the one journaled
    /// was unplugged, then one plugged there), so its blocks must be the ones recorded.
    /// </summary>
    public bool IsOf(Model.Dimm dimm) => Zones.Count == 0 || Zones.Keys.Order().SequenceEqual(dimm.BlockIds.Order());

    /// <summary>Where a recovery onlines the blocks again: Movable unless one was in a kernel zone.</summary>
    public Writing.BlockStateRequest ReonlineZone =>
        Zones.Values.Any(z => z != Model.ZoneNames.Movable) ? Writing.BlockStateRequest.OnlineKernel : Writing.BlockStateRequest.OnlineMovable;
}
