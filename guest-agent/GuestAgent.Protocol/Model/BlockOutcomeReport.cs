namespace GuestAgent.Protocol.Model;

/// <summary>What happened to one block in an operation.</summary>
public sealed record BlockOutcomeReport
{
    public required string Block { get; init; }

    /// <summary>The word written (<c>online_movable</c>, <c>online</c>, <c>offline</c>, …) or <c>none</c>.</summary>
    public required string Action { get; init; }

    public required bool Ok { get; init; }

    public required string Message { get; init; }

    /// <summary>The errno name (<c>EBUSY</c>, …) where the kernel refused.</summary>
    public string? Errno { get; init; }

    public bool TimedOut { get; init; }
}
