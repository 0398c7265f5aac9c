using GuestAgent.Memory.Model;
using GuestAgent.Memory.Policy;
using GuestAgent.Memory.Sysfs;
using GuestAgent.Memory.Writing;
using Microsoft.Extensions.Logging;

namespace GuestAgent.Memory.Operations;

/// <summary>
/// Carries out a <see cref="DimmOnlinePlan"/>: writes each block's state, highest address first, and handles what
/// the kernel answers. EINVAL means the block is already online (someone else onlined it) or the zone is not allowed
/// there: the block is read again to tell which, and when Movable is not allowed the rest of the DIMM falls back to
/// plain <c>online</c> so the memory is usable, and says why. Other errors are recorded and logged once per cause.
/// </summary>
public sealed class OnlineExecutor(SysfsMemoryReader reader, IBlockStateWriter writer, OnceLog problems, ILogger logger)
{
    public async Task<IReadOnlyList<BlockOutcome>> ExecuteAsync(DimmOnlinePlan plan, CancellationToken cancellationToken)
    {
        var outcomes = new List<BlockOutcome>(plan.BlockIds.Count);
        var zone = plan.Zone;
        foreach (var blockId in plan.BlockIds)
        {
            var outcome = await OnlineBlockAsync(blockId, zone, plan.Dimm, cancellationToken).ConfigureAwait(false);
            if (outcome.FellBackToKernel)
            {
                zone = OnlineZoneChoice.Kernel;
            }

            outcomes.Add(outcome.Outcome);
        }

        return outcomes;
    }

    private async Task<(BlockOutcome Outcome, bool FellBackToKernel)> OnlineBlockAsync(
        int blockId, OnlineZoneChoice zone, Dimm dimm, CancellationToken cancellationToken)
    {
        var name = MemoryBlockName.Format(blockId);
        var request = zone == OnlineZoneChoice.Movable ? BlockStateRequest.OnlineMovable : BlockStateRequest.Online;
        var result = await writer.WriteAsync(blockId, request, Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
        if (result.Succeeded)
        {
            problems.Forget(name);
            logger.LogInformation("{Block} of {Dimm} onlined ({Word})", name, dimm.Id, BlockStateWords.Format(request));
            return (BlockOutcome.From(blockId, request, result, $"onlined ({BlockStateWords.Format(request)})"), false);
        }

        var now = reader.ReadBlock(blockId);
        if (result.Errno is Errno.ENOENT or Errno.ENODEV || now is null)
        {
            return (new BlockOutcome(blockId, BlockStateWords.Format(request), false, "removed meanwhile", result.Errno), false);
        }

        if (result.Errno == Errno.EINVAL)
        {
            if (now.State == BlockState.Online)
            {
                return (new BlockOutcome(blockId, "none", true, $"already online (zone {now.Zone ?? "unknown"})"), false);
            }

            if (request == BlockStateRequest.OnlineMovable && !now.ValidZones.Contains(ZoneNames.Movable))
            {
                var why = $"Movable is not allowed here (valid_zones: {string.Join(' ', now.ValidZones)})";
                var fallback = await writer.WriteAsync(blockId, BlockStateRequest.Online, Timeout.InfiniteTimeSpan, cancellationToken)
                    .ConfigureAwait(false);
                problems.Warn(name, "movable-not-allowed", $"{why}; onlining {dimm.Id} into the kernel zone instead so the memory is usable");
                return (BlockOutcome.From(blockId, BlockStateRequest.Online, fallback, $"{why}; onlined into the kernel zone instead") with { FellBackToKernelZone = fallback.Succeeded }, true);
            }
        }

        problems.Warn(name, result.Errno is { } errno ? ErrnoNames.Name(errno) : "error", result.Message);
        return (BlockOutcome.From(blockId, request, result, ""), false);
    }
}
