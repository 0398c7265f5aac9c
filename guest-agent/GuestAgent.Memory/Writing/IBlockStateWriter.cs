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

    /// <summary>
    /// Offlines blocks one after another, in the order given, within one time limit for them all, and stops at the
    /// first that fails. Never throws: one result per block tried, the failed one last (a time limit or a stop fails
    /// the block in progress, which the kernel rolls back; a stop's result is EINTR); blocks after it are not tried.
    /// </summary>
    /// <param name="blockIds">N of each <c>memoryN</c>, in the order to offline them.</param>
    /// <param name="timeLimit">For all of them; <see cref="Timeout.InfiniteTimeSpan"/> for none.</param>
    /// <param name="offlined">Told of each block as soon as it is offline (from any thread).</param>
    /// <param name="cancellationToken">Stops the offline in progress.</param>
    Task<IReadOnlyList<BlockWriteResult>> OfflineInTurnAsync(IReadOnlyList<int> blockIds, TimeSpan timeLimit, Action<int>? offlined, CancellationToken cancellationToken);

    /// <summary><c>auto_online_blocks</c> as the kernel reads it (trimmed), or null when it cannot be read.</summary>
    string? ReadAutoOnlineBlocks();

    /// <summary>Sets <c>auto_online_blocks</c>; never throws for a kernel error.</summary>
    BlockWriteResult WriteAutoOnlineBlocks(string word);
}
