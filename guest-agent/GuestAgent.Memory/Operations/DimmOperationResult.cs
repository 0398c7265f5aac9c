namespace GuestAgent.Memory.Operations;

/// <summary>The result of preparing a DIMM for unplug (offlining it ahead) or of re-onlining it.</summary>
/// <param name="DimmId">The DIMM.</param>
/// <param name="Operation"><c>prepare-unplug</c>, <c>cancel-unplug</c> or <c>make-movable</c>.</param>
/// <param name="Succeeded">Whether every block ended as the operation meant.</param>
/// <param name="Message">A summary for a person.</param>
/// <param name="Blocks">Per block, in the order handled, including any rollback steps.</param>
/// <param name="RolledBack">For a failed prepare: whether the blocks already offlined were re-onlined.</param>
public sealed record DimmOperationResult(
    string DimmId,
    string Operation,
    bool Succeeded,
    string Message,
    IReadOnlyList<BlockOutcome> Blocks,
    bool RolledBack = false)
{
    /// <summary>For a prepare stopped by the guest's memory running short (see <c>OfflineGuard</c>): why.</summary>
    public string? StopReason { get; init; }

    public const string PrepareUnplug = "prepare-unplug";
    public const string CancelUnplug = "cancel-unplug";
    public const string MakeMovable = "make-movable";
}
