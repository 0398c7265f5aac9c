namespace GuestAgent.Host.Qmp;

/// <summary>QEMU answered a command with an error: <c>{"error": {"class", "desc"}}</c>.</summary>
public sealed class QmpCommandException(string command, string errorClass, string description)
    : Exception($"QEMU refused {command}: {description} ({errorClass})")
{
    public string Command { get; } = command;

    public string ErrorClass { get; } = errorClass;

    public string Description { get; } = description;
}
