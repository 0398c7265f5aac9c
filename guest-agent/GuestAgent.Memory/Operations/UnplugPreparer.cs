using System.Runtime.CompilerServices;
using GuestAgent.Memory.Capacity;
using GuestAgent.Memory.Model;
using GuestAgent.Memory.Writing;
using Microsoft.Extensions.Logging;

namespace GuestAgent.Memory.Operations;

/// <summary>
/// Offlines a DIMM's blocks ahead of unplug, lowest address first, in one stoppable writer within one time limit for
/// the whole DIMM; if any block fails, re-onlines the ones it offlined (highest first, each into the zone it was in) so the DIMM is as it
/// was. The reverse, re-onlining a DIMM's offline blocks, is <see cref="OnlineAgainAsync"/>.
/// </summary>
public sealed class UnplugPreparer(IBlockStateWriter writer, ILogger logger)
{
    /// <param name="snapshot">The model.</param>
    /// <param name="dimm">The DIMM.</param>
    /// <param name="timeLimit">For the whole DIMM; <see cref="Timeout.InfiniteTimeSpan"/> for none.</param>
    /// <param name="cancellationToken">Stops the offline (the block in progress is rolled back by the kernel, the rest by this).</param>
    /// <param name="guard">Watches the guest while it offlines, given how much of the DIMM is still online; its stop rolls back too.</param>
    public async Task<DimmOperationResult> OfflineAsync(
        MemorySnapshot snapshot, Dimm dimm, TimeSpan timeLimit, CancellationToken cancellationToken, Func<Func<long>, CancellationToken, OfflineGuard>? guard = null)
    {
        var outcomes = new List<BlockOutcome>();
        var offlined = new List<MemoryBlock>();
        var blocks = snapshot.BlocksOf(dimm).OrderBy(b => b.Index).ToList();
        var remaining = new StrongBox<long>(blocks.Count(b => b.State != BlockState.Offline) * snapshot.BlockSize);
        using var watch = guard?.Invoke(() => Interlocked.Read(ref remaining.Value), cancellationToken);
        var token = watch?.Token ?? cancellationToken;
        var pending = blocks.Where(b => b.State != BlockState.Offline).ToList();
        var results = await writer.OfflineInTurnAsync(
            pending.Select(b => b.Id).ToList(), timeLimit, _ => Interlocked.Add(ref remaining.Value, -snapshot.BlockSize), token).ConfigureAwait(false);
        var next = 0;
        foreach (var block in blocks)
        {
            if (block.State == BlockState.Offline)
            {
                outcomes.Add(new BlockOutcome(block.Id, "none", true, "already offline"));
                continue;
            }

            var result = next < results.Count ? results[next++] : BlockWriteResult.Failed(Errno.EIO, "the writer did not get to it");
            if (!result.Succeeded && token.IsCancellationRequested && result.Errno == Errno.EINTR && !result.TimedOut)
            {
                result = BlockWriteResult.Failed(Errno.EINTR, watch?.Reason is { } reason ? "stopped early: " + reason : "cancelled");
            }

            outcomes.Add(BlockOutcome.From(block.Id, BlockStateRequest.Offline, result, "offlined"));
            if (result.Succeeded)
            {
                offlined.Add(block);
                continue;
            }

            logger.LogWarning("Preparing {Dimm} for unplug: {Block} could not be offlined: {Reason}; rolling back", dimm.Id, block.Name, result.Message);
            var rolledBack = await RollBackAsync(offlined, outcomes).ConfigureAwait(false);
            var message = $"{block.Name} could not be offlined: {result.Message}"
                          + (rolledBack ? "; the blocks already offlined were onlined again" : "; ROLLBACK INCOMPLETE, see the blocks");
            return new DimmOperationResult(dimm.Id, DimmOperationResult.PrepareUnplug, false, message, outcomes, rolledBack) { StopReason = watch?.Reason };
        }

        logger.LogInformation("{Dimm} is offline and ready to be unplugged", dimm.Id);
        return new DimmOperationResult(dimm.Id, DimmOperationResult.PrepareUnplug, true, "every block is offline", outcomes);
    }

    /// <summary>Onlines every offline block of the DIMM, highest address first, into <paramref name="zone"/>.</summary>
    public async Task<DimmOperationResult> OnlineAgainAsync(MemorySnapshot snapshot, Dimm dimm, BlockStateRequest zone, CancellationToken cancellationToken)
    {
        var outcomes = new List<BlockOutcome>();
        foreach (var block in snapshot.BlocksOf(dimm).OrderByDescending(b => b.Index))
        {
            if (block.State != BlockState.Offline)
            {
                outcomes.Add(new BlockOutcome(block.Id, "none", true, $"already {block.StateText ?? "online"}"));
                continue;
            }

            var result = await writer.WriteAsync(block.Id, zone, Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
            outcomes.Add(BlockOutcome.From(block.Id, zone, result, "onlined again"));
        }

        var failed = outcomes.Where(o => !o.Succeeded).ToList();
        var message = failed.Count == 0
            ? "every block is online"
            : string.Join("; ", failed.Select(f => $"{f.BlockName}: {f.Message}"));
        return new DimmOperationResult(dimm.Id, DimmOperationResult.CancelUnplug, failed.Count == 0, message, outcomes);
    }

    /// <summary>Re-onlines what was offlined, highest first, each into the zone it had; never cancelled midway.</summary>
    private async Task<bool> RollBackAsync(List<MemoryBlock> offlined, List<BlockOutcome> outcomes)
    {
        var complete = true;
        foreach (var block in offlined.OrderByDescending(b => b.Index))
        {
            var request = block.Zone == ZoneNames.Movable ? BlockStateRequest.OnlineMovable : BlockStateRequest.OnlineKernel;
            var result = await writer.WriteAsync(block.Id, request, Timeout.InfiniteTimeSpan, CancellationToken.None).ConfigureAwait(false);
            outcomes.Add(BlockOutcome.From(block.Id, request, result, "rolled back (onlined again)"));
            if (!result.Succeeded)
            {
                complete = false;
                logger.LogError("Rollback: {Block} stays offline: {Reason}", block.Name, result.Message);
            }
        }

        return complete;
    }
}
