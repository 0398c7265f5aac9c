namespace GuestAgent.Memory.Agent;

/// <summary>Why an operation was not started.</summary>
public enum MemoryOperationError
{
    NotFound,
    NotRemovable,
    Busy,
    BadArgument,
}
