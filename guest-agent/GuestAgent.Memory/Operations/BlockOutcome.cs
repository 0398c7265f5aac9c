using GuestAgent.Memory.Writing;

namespace GuestAgent.Memory.Operations;

/// <summary>What happened to one block in an operation, for the model, the log and the protocol.</summary>
/// <param name="BlockId">N of <c>memoryN</c>.</param>
/// <param name="Action">The word written (<c>online_movable</c>, <c>online</c>, <c>offline</c>, …) or <c>none</c>.</param>
/// <param name="Succeeded">Whether the block ended as the action meant.</param>
/// <param name="Message">What happened, for a person.</param>
/// <param name="Errno">The kernel's errno, where a write failed.</param>
/// <param name="TimedOut">Whether the write was stopped at its time limit.</param>
public sealed record BlockOutcome(int BlockId, string Action, bool Succeeded, string Message, Errno? Errno = null, bool TimedOut = false)
{
    /// <summary>Movable was refused here, so the block was onlined into the kernel zone instead (the memory is usable, not removable).</summary>
    public bool FellBackToKernelZone { get; init; }

    public string BlockName => Sysfs.MemoryBlockName.Format(BlockId);

    public static BlockOutcome From(int blockId, BlockStateRequest request, BlockWriteResult result, string successMessage) =>
        new(blockId, BlockStateWords.Format(request), result.Succeeded, result.Succeeded ? successMessage : result.Message, result.Errno, result.TimedOut);
}
