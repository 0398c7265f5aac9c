using GuestAgent.Protocol.Model;

namespace GuestAgent.Protocol.Payloads;

/// <summary>The result of <c>prepare-unplug</c> or <c>cancel-unplug</c>, per block.</summary>
public sealed record OperationReturn
{
    public required string Dimm { get; init; }

    public required string Operation { get; init; }

    public required bool Ok { get; init; }

    public required string Message { get; init; }

    public bool RolledBack { get; init; }

    public required IReadOnlyList<BlockOutcomeReport> Blocks { get; init; }

    /// <summary>The DIMM's readiness after the operation.</summary>
    public string? Readiness { get; init; }
}
