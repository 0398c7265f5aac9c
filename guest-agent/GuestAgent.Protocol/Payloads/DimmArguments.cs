namespace GuestAgent.Protocol.Payloads;

/// <summary>Names one DIMM: exactly one of <c>slot</c>, <c>id</c>, or <c>start</c> with <c>size</c> (block-aligned bytes).</summary>
[System.Text.Json.Serialization.JsonUnmappedMemberHandling(System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow)]
public sealed record DimmArguments
{
    public int? Slot { get; init; }

    public string? Id { get; init; }

    public long? Start { get; init; }

    public long? Size { get; init; }

    /// <summary>
    /// <c>prepare-unplug</c> only: offline even when what the DIMM holds does not fit into the rest of the guest (the
    /// capacity check); the agent still stops when the guest stalls on memory. Sent only to agents whose <c>hello</c>
    /// lists the <c>force-prepare</c> capability.
    /// </summary>
    public bool? Force { get; init; }
}
