namespace GuestAgent.Protocol.Payloads;

/// <summary><c>hello</c>: the host's protocol version and the capabilities it understands.</summary>
[System.Text.Json.Serialization.JsonUnmappedMemberHandling(System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow)]
public sealed record HelloArguments
{
    public int? Protocol { get; init; }

    public IReadOnlyList<string>? Capabilities { get; init; }
}
