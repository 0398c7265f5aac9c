namespace GuestAgent.Memory.Agent;

/// <summary>An operation was refused before anything was written (unknown DIMM, boot memory, busy, bad range).</summary>
public sealed class MemoryOperationException(MemoryOperationError error, string message) : Exception(message)
{
    public MemoryOperationError Error { get; } = error;
}
