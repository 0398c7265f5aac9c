namespace GuestAgent.Protocol.Payloads;

/// <summary><c>{}</c>: the return of commands that only succeed or fail.</summary>
public sealed record EmptyObject
{
    public static EmptyObject Instance { get; } = new();
}
