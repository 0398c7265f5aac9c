using GuestAgent.Protocol.Messages;

namespace GuestAgent.Protocol.Client;

/// <summary>The agent answered with an error.</summary>
public sealed class ProtocolErrorException(ProtocolError error)
    : Exception($"{error.Class}: {error.Desc}{(error.Errno is null ? "" : $" ({error.Errno})")}")
{
    public ProtocolError Error { get; } = error;
}
