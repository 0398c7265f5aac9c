namespace GuestAgent.Protocol.Messages;

/// <summary>The named error classes of replies (docs/protocol.md).</summary>
public static class ErrorClasses
{
    /// <summary>The line is not a JSON object (malformed JSON, binary junk, invalid UTF-8).</summary>
    public const string BadJson = "BadJson";

    /// <summary>The line is longer than the documented limit; it was discarded.</summary>
    public const string LineTooLong = "LineTooLong";

    /// <summary>A JSON object that is not a request (no string <c>execute</c>, <c>arguments</c> not an object).</summary>
    public const string BadRequest = "BadRequest";

    public const string UnknownCommand = "UnknownCommand";

    /// <summary>A missing, extra or mistyped argument, or a value out of range.</summary>
    public const string BadArgument = "BadArgument";

    /// <summary>No such DIMM, slot or range.</summary>
    public const string NotFound = "NotFound";

    /// <summary>Boot memory: never removable.</summary>
    public const string NotRemovable = "NotRemovable";

    /// <summary>An operation on that DIMM is in progress, or too many requests are in flight on this connection.</summary>
    public const string Busy = "Busy";

    /// <summary>
    /// What the DIMM holds would not fit into the rest of the guest with the reserve kept available: refused before
    /// anything was offlined, or a prepare stopped and rolled back because the guest ran short while it ran.
    /// </summary>
    public const string InsufficientMemory = "InsufficientMemory";

    /// <summary>The kernel refused; <c>errno</c> names why (EBUSY, EINVAL, EPERM…).</summary>
    public const string OperationFailed = "OperationFailed";

    /// <summary>The peer speaks another protocol version, or sent a request before <c>hello</c>.</summary>
    public const string ProtocolMismatch = "ProtocolMismatch";

    /// <summary>The agent failed unexpectedly; it keeps serving.</summary>
    public const string InternalError = "InternalError";
}
