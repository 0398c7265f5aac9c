namespace GuestAgent.Protocol.Payloads;

/// <summary>Names one DIMM: exactly one of <c>slot</c>, <c>id</c>, or <c>start</c> with <c>size</c> (block-aligned bytes).</summary>
[System.Text.Json.Serialization.JsonUnmappedMemberHandling(System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow)]
public sealed record DimmArguments
{
    public int? Slot { get; init; }

    public string? Id { get; init; }

    public long? Start { get; init; }

    public long? Size { get; init; }
}
