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
}
