namespace GuestAgent.Protocol.Payloads;

/// <summary>What the agent is and can do.</summary>
public sealed record HelloReturn
{
    public required int Protocol { get; init; }

    public required string Agent { get; init; }

    public required string Version { get; init; }

    public required IReadOnlyList<string> Capabilities { get; init; }

    /// <summary>The guest's memory block size: DIMM sizes must be multiples of it.</summary>
    public required long BlockSize { get; init; }

    public required string Policy { get; init; }
}
