namespace GuestAgent.Memory.Agent;

/// <summary>Why an operation was not started.</summary>
public enum MemoryOperationError
{
    NotFound,
    NotRemovable,
    Busy,
    BadArgument,

    /// <summary>What the DIMM holds would not fit into the rest of the guest with the reserve kept available.</summary>
    InsufficientMemory,
}
