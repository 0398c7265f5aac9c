namespace GuestAgent.Host.Planning;

/// <summary>What <c>set-memory</c> will do: plug one DIMM, release some, or nothing; and where memory ends.</summary>
public sealed record MemoryChangePlan
{
    public required MemoryChangeKind Kind { get; init; }

    public required long Target { get; init; }

    public required long Current { get; init; }

    /// <summary>The memory QEMU will have when the plan is done.</summary>
    public required long Resulting { get; init; }

    /// <summary>For <see cref="MemoryChangeKind.Grow"/>: the new DIMM's size.</summary>
    public long GrowBy { get; init; }

    /// <summary>For <see cref="MemoryChangeKind.Shrink"/>: the DIMMs to release, in order.</summary>
    public IReadOnlyList<UnplugCandidate> Release { get; init; } = [];

    /// <summary>DIMMs the decrease alone would release but that do not fit into the guest's headroom together with the others.</summary>
    public IReadOnlyList<UnplugCandidate> LeftForCapacity { get; init; } = [];

    /// <summary>Why the result differs from the target, when it does.</summary>
    public string? Note { get; init; }
}
