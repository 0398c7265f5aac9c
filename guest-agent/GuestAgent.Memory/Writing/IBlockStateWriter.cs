namespace GuestAgent.Memory.Writing;

/// <summary>
/// The seam through which the agent changes memory: writes to <c>memoryN/state</c>, and the kernel's own onlining
/// setting <c>auto_online_blocks</c>.
/// </summary>
public interface IBlockStateWriter
{
    /// <summary>Writes one state word. Never throws for a kernel error: the errno is in the result.</summary>
    /// <param name="blockId">N of <c>memoryN</c>.</param>
    /// <param name="request">What to write.</param>
    /// <param name="timeLimit">How long the write may take; past it, the write is stopped (for offlining, the kernel's
    /// page migration is interrupted and the block rolled back). <see cref="Timeout.InfiniteTimeSpan"/> for none.</param>
    /// <param name="cancellationToken">Stops waiting (and the write, where it can be stopped).</param>
    Task<BlockWriteResult> WriteAsync(int blockId, BlockStateRequest request, TimeSpan timeLimit, CancellationToken cancellationToken);

    /// <summary><c>auto_online_blocks</c> as the kernel reads it (trimmed), or null when it cannot be read.</summary>
    string? ReadAutoOnlineBlocks();

    /// <summary>Sets <c>auto_online_blocks</c>; never throws for a kernel error.</summary>
    BlockWriteResult WriteAutoOnlineBlocks(string word);
}
