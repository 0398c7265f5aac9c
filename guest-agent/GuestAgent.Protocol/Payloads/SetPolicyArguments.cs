namespace GuestAgent.Protocol.Payloads;

/// <summary><c>set-policy</c>: the policy, and for auto-movable its ratio and NUMA awareness (current values when left out).</summary>
[System.Text.Json.Serialization.JsonUnmappedMemberHandling(System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow)]
public sealed record SetPolicyArguments
{
    public string? Policy { get; init; }

    public int? AutoMovableRatio { get; init; }

    public bool? NumaAware { get; init; }
}
