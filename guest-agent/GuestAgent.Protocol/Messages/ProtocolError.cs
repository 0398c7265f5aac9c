namespace GuestAgent.Protocol.Messages;

/// <summary>The <c>error</c> member of a reply.</summary>
/// <param name="Class">One of <see cref="ErrorClasses"/>.</param>
/// <param name="Desc">For a person.</param>
/// <param name="Errno">For <see cref="ErrorClasses.OperationFailed"/>: the kernel's errno name.</param>
public sealed record ProtocolError(string Class, string Desc, string? Errno = null);
