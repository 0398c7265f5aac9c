namespace GuestAgent.Memory.Writing;

/// <summary>The outcome of one write to <c>memoryN/state</c>.</summary>
public sealed record BlockWriteResult
{
    public static BlockWriteResult Ok { get; } = new() { Succeeded = true, Message = "ok" };

    public required bool Succeeded { get; init; }

    /// <summary>The errno the kernel returned; null on success or on a timeout.</summary>
    public Errno? Errno { get; init; }

    /// <summary>The write was stopped because it ran past its time limit.</summary>
    public bool TimedOut { get; init; }

    public required string Message { get; init; }

    public static BlockWriteResult Failed(Errno errno, string message) => new() { Succeeded = false, Errno = errno, Message = message };

    public static BlockWriteResult Timeout(TimeSpan after) => new()
    {
        Succeeded = false,
        TimedOut = true,
        Message = $"stopped after {after.TotalSeconds:0.#} s (time limit reached; the kernel rolled the block back)",
    };

    /// <summary>The write was stopped on request (a cancel, the guard): EINTR, as the kernel answers a signalled writer.</summary>
    public static BlockWriteResult Stopped { get; } = Failed(Writing.Errno.EINTR, "stopped on request (the kernel rolled the block back)");

    public override string ToString() => Message;
}
