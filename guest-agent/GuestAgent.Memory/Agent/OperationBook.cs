using GuestAgent.Memory.Model;
using GuestAgent.Memory.Operations;

namespace GuestAgent.Memory.Agent;

/// <summary>
/// Pure bookkeeping of what only the agent knows, with explicit transitions: the DIMMs it is working on (and their
/// blocks), blocks it holds offline for an unplug, blocks someone else offlined (left alone), each block's last
/// outcome, why it put each DIMM where it is (or how it found it at start), and what it recovered at start. Sysfs stays the truth for everything
/// else. Not thread-safe: the agent guards it with its state lock.
/// </summary>
public sealed class OperationBook
{
    /// <summary>At most this many recoveries are kept (the oldest go first).</summary>
    public const int MaxRecoveries = 16;

    private readonly Dictionary<string, BusyOperation> _busy = new(StringComparer.Ordinal);
    private readonly HashSet<int> _busyBlocks = [];
    private readonly HashSet<int> _heldOffline = [];
    private readonly HashSet<int> _leftOffline = [];
    private readonly Dictionary<int, BlockOutcome> _lastOutcomes = [];
    private readonly Dictionary<string, string> _onlinedBy = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _foundBy = new(StringComparer.Ordinal);
    private readonly List<AgentRecovery> _recoveries = [];

    /// <summary>Marks <paramref name="dimm"/> busy and its blocks held offline; throws Busy when it is already busy.</summary>
    public void Begin(Dimm dimm, BusyOperation operation)
    {
        if (_busy.TryGetValue(dimm.Id, out var running))
        {
            throw new MemoryOperationException(MemoryOperationError.Busy, $"{dimm.Id} is busy: {running.Reason}");
        }

        _busy[dimm.Id] = operation;
        _busyBlocks.UnionWith(dimm.BlockIds);
        _heldOffline.UnionWith(dimm.BlockIds);
    }

    /// <summary>Ends the operation on <paramref name="dimm"/>: its blocks stay held offline only when <paramref name="holdOffline"/>.</summary>
    public BusyOperation? End(Dimm dimm, IEnumerable<BlockOutcome> outcomes, bool holdOffline)
    {
        _busy.Remove(dimm.Id, out var operation);
        _busyBlocks.ExceptWith(dimm.BlockIds);
        if (!holdOffline)
        {
            _heldOffline.ExceptWith(dimm.BlockIds);
        }

        Record(outcomes);
        return operation;
    }

    /// <summary>What the agent is doing with a DIMM, or null when nothing.</summary>
    public string? BusyReason(string dimmId) => _busy.TryGetValue(dimmId, out var busy) ? busy.Reason : null;

    /// <summary>The operation running on a DIMM for <paramref name="reason"/>, if any.</summary>
    public BusyOperation? Running(string dimmId, string reason) =>
        _busy.TryGetValue(dimmId, out var busy) && busy.Reason == reason ? busy : null;

    public void Record(IEnumerable<BlockOutcome> outcomes)
    {
        foreach (var outcome in outcomes)
        {
            _lastOutcomes[outcome.BlockId] = outcome;
        }
    }

    /// <summary>The agent onlined (part of) <paramref name="dimm"/> for <paramref name="reason"/>.</summary>
    public void RecordOnlined(Dimm dimm, string reason)
    {
        _onlinedBy[dimm.Id] = reason;
        _foundBy.Remove(dimm.Id);
    }

    /// <summary>
    /// <paramref name="dimm"/> was already online in a kernel zone when the agent started, for <paramref name="reason"/>;
    /// forgotten once the agent moves it.
    /// </summary>
    public void RecordFound(Dimm dimm, string reason) => _foundBy[dimm.Id] = reason;

    public void RecordRecovery(AgentRecovery recovery)
    {
        _recoveries.Add(recovery);
        if (_recoveries.Count > MaxRecoveries)
        {
            _recoveries.RemoveAt(0);
        }
    }

    /// <summary>
    /// Notes what changed without the agent between two snapshots: a block that went offline (not held by the agent)
    /// is left offline from now on, and returned so it can be logged; one that came back online is eligible again;
    /// blocks and DIMMs that are gone are forgotten.
    /// </summary>
    public IReadOnlyList<MemoryBlock> TrackOutsideChanges(MemorySnapshot previous, MemorySnapshot current)
    {
        var newlyLeft = new List<MemoryBlock>();
        var present = new HashSet<int>(current.Blocks.Count);
        foreach (var block in current.Blocks)
        {
            present.Add(block.Id);
            if (block.State == BlockState.Online)
            {
                _leftOffline.Remove(block.Id);
            }
            else if (block.State == BlockState.Offline
                     && !_heldOffline.Contains(block.Id)
                     && previous.FindBlock(block.Id) is { State: BlockState.Online or BlockState.GoingOffline }
                     && _leftOffline.Add(block.Id))
            {
                newlyLeft.Add(block);
            }
        }

        _leftOffline.RemoveWhere(id => !present.Contains(id));
        _heldOffline.RemoveWhere(id => !present.Contains(id));
        foreach (var id in _lastOutcomes.Keys.Where(id => !present.Contains(id)).ToList())
        {
            _lastOutcomes.Remove(id);
        }

        var dimms = current.Dimms.Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var id in _onlinedBy.Keys.Where(id => !dimms.Contains(id)).ToList())
        {
            _onlinedBy.Remove(id);
        }

        foreach (var id in _foundBy.Keys.Where(id => !dimms.Contains(id)).ToList())
        {
            _foundBy.Remove(id);
        }

        return newlyLeft;
    }

    /// <summary>Whether an offline block may be onlined now: not held for an unplug, not offlined by someone else, not being worked on.</summary>
    public bool IsEligible(MemoryBlock block) =>
        !_heldOffline.Contains(block.Id) && !_leftOffline.Contains(block.Id) && !_busyBlocks.Contains(block.Id);

    public IReadOnlyDictionary<string, string> BusyReasons() => _busy.ToDictionary(b => b.Key, b => b.Value.Reason, StringComparer.Ordinal);

    public IReadOnlyDictionary<string, string> OnlinedBy() => new Dictionary<string, string>(_onlinedBy, StringComparer.Ordinal);

    public IReadOnlyDictionary<string, string> FoundBy() => new Dictionary<string, string>(_foundBy, StringComparer.Ordinal);

    public IReadOnlyDictionary<int, BlockOutcome> LastOutcomes() => new Dictionary<int, BlockOutcome>(_lastOutcomes);

    public IReadOnlyList<AgentRecovery> Recoveries() => [.. _recoveries];
}
