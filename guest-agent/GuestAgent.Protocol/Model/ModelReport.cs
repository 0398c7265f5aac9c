namespace GuestAgent.Protocol.Model;

/// <summary>
/// The guest's memory model as <c>guest-agent scan --json</c> prints it (schema <see cref="SchemaName"/>, documented in
/// docs/model.md). Fields are only ever added within a schema version.
/// </summary>
public sealed record ModelReport
{
    public const string SchemaName = "guest-agent/model/1";

    public string Schema { get; init; } = SchemaName;

    public required string SysfsRoot { get; init; }

    /// <summary>Memory block size in bytes; 0 when unknown.</summary>
    public required long BlockSize { get; init; }

    public string? AutoOnlineBlocks { get; init; }

    public IReadOnlyDictionary<string, string> HotplugParameters { get; init; } = new Dictionary<string, string>();

    /// <summary><c>movable</c>, <c>auto-movable</c>, <c>kernel</c> or <c>none</c>.</summary>
    public required string Policy { get; init; }

    /// <summary>For auto-movable: the ratio in percent.</summary>
    public int? AutoMovableRatio { get; init; }

    public required BlockSummary Blocks { get; init; }

    public required IReadOnlyList<DimmReport> Dimms { get; init; }

    public IReadOnlyList<ProblemReport> Problems { get; init; } = [];

    /// <summary>The last write to each block that failed and has not been followed by a success (the daemon's memory).</summary>
    public IReadOnlyList<BlockOutcomeReport> Failures { get; init; } = [];

    /// <summary>The guest's memory for the unplug capacity check; left out when it could not be read.</summary>
    public CapacityReport? Capacity { get; init; }

    /// <summary>How much more memory the guest can take now and still give back.</summary>
    public PlugBudgetReport? PlugBudget { get; init; }

    /// <summary>What can stand in the way of an unplug beyond the zones (huge pages, a balloon, udev rules, policy drift).</summary>
    public IReadOnlyList<ProblemReport> Warnings { get; init; } = [];

    /// <summary>DIMMs the agent onlined again at start because an earlier agent died while unplugging them.</summary>
    public IReadOnlyList<RecoveryReport> Recoveries { get; init; } = [];

    /// <summary>With <c>scan --apply</c>: what was written and what the kernel answered.</summary>
    public IReadOnlyList<BlockOutcomeReport>? Applied { get; init; }
}
