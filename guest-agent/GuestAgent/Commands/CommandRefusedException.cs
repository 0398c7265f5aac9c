namespace GuestAgent.Commands;

/// <summary>A command was refused or failed, with the protocol's error class (docs/protocol.md) and, for a kernel refusal, the errno's name.</summary>
public sealed class CommandRefusedException(string errorClass, string message, string? errno = null) : Exception(message)
{
    public string ErrorClass { get; } = errorClass;

    public string? Errno { get; } = errno;
}
