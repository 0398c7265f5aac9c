namespace GuestAgent.Host.Operations;

/// <summary>One DIMM as the hypervisor and the guest see it, joined by slot (and address).</summary>
public sealed record DimmStatus
{
    /// <summary>Its name in commands: the hypervisor's id, or <c>slotN</c> for a DIMM without one.</summary>
    public required string Id { get; init; }

    /// <summary>False for a DIMM the hypervisor lists without an id (see <see cref="Hint"/>).</summary>
    public bool HasId { get; init; } = true;

    public string? Backend { get; init; }

    public int? Slot { get; init; }

    public long Addr { get; init; }

    public long Size { get; init; }

    public int Node { get; init; }

    public bool Hotplugged { get; init; }

    /// <summary>The guest's zones for its online blocks (<c>Movable</c>, <c>Normal</c>…), empty when offline or unknown.</summary>
    public IReadOnlyList<string> GuestZones { get; init; } = [];

    /// <summary>The guest's block state: <c>online</c>, <c>offline</c>, <c>mixed</c>…; null when the guest does not report it.</summary>
    public string? GuestState { get; init; }

    /// <summary><c>ready</c>, <c>not-ready</c>, <c>busy</c>, or <c>unknown</c> when no agent answers.</summary>
    public required string Readiness { get; init; }

    public required string Reason { get; init; }

    /// <summary>For not-ready: what stands in the way, as the guest names it (<c>kernel-zone</c>, <c>capacity</c>…).</summary>
    public string? Blocker { get; init; }

    /// <summary>Its memory online in the guest: what an unplug takes from the guest.</summary>
    public long? OnlineBytes { get; init; }

    /// <summary>Something to know to act on it (a DIMM without an id).</summary>
    public string? Hint { get; init; }

    /// <summary>An operation of this controller in flight (from the state file), or null.</summary>
    public string? Operation { get; init; }
}
