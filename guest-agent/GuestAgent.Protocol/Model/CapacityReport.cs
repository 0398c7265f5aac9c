namespace GuestAgent.Protocol.Model;

/// <summary>The guest's memory as the unplug capacity check sees it (docs/model.md, "Capacity").</summary>
public sealed record CapacityReport
{
    /// <summary><c>MemAvailable</c> in bytes.</summary>
    public required long Available { get; init; }

    /// <summary>What must stay available after an unplug (<c>Memory:UnplugReserve</c>).</summary>
    public required long Reserve { get; init; }

    /// <summary>Available minus reserve (at least 0): a set of DIMMs fits when their <c>online-bytes</c> add up to at most this.</summary>
    public required long Headroom { get; init; }

    /// <summary><c>MemTotal</c> in bytes.</summary>
    public long? Total { get; init; }
}
