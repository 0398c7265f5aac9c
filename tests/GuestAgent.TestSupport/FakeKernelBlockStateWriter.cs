using System.Collections.Concurrent;
using GuestAgent.Memory.Sysfs;
using GuestAgent.Memory.Writing;

namespace GuestAgent.TestSupport;

/// <summary>
/// Writes a <see cref="FakeSysfsTree"/> the way the kernel answers writes to <c>memoryN/state</c>
/// (<c>BlockStateWriterContract</c> holds it and the real kernel to the same answers): onlining an online block or into a
/// zone not in <c>valid_zones</c> is EINVAL, offlining an offline block or one that spans zones is EINVAL, a missing
/// block is ENOENT; an offlined block's <c>valid_zones</c> is derived from its neighbours as the kernel derives it
/// (the default zone first: Movable when the block lies inside the span of the node's online Movable blocks and not
/// the kernel zone's, else the kernel zone), and plain <c>online</c> goes to that default zone. Tests can script
/// failures (EBUSY, EPERM, …) or delays per block and word. Given a
/// <see cref="FakeProcTree"/>, it keeps that tree's zone accounting in step with each change, as the kernel does
/// (<see cref="FakeProcTree.AccountFor"/>).
/// </summary>
public sealed class FakeKernelBlockStateWriter(FakeSysfsTree tree, FakeProcTree? proc = null) : IBlockStateWriter
{
    private readonly ConcurrentDictionary<(int Block, BlockStateRequest Request), Errno> _failures = new();
    private readonly ConcurrentDictionary<(int Block, BlockStateRequest Request), TimeSpan> _delays = new();

    /// <summary>Every write, in order: (block, word, succeeded).</summary>
    public ConcurrentQueue<(int Block, string Word, bool Succeeded)> Writes { get; } = new();

    /// <summary>Makes writes of <paramref name="request"/> to <paramref name="blockId"/> fail with <paramref name="errno"/>.</summary>
    public void FailWith(int blockId, BlockStateRequest request, Errno errno) => _failures[(blockId, request)] = errno;

    public void Heal(int blockId, BlockStateRequest request) => _failures.TryRemove((blockId, request), out _);

    /// <summary>Makes the write take this long (cancellable, like a kernel migration stopped by a signal).</summary>
    public void DelayBy(int blockId, BlockStateRequest request, TimeSpan delay) => _delays[(blockId, request)] = delay;

    private readonly ConcurrentDictionary<(int Block, BlockStateRequest Request), TaskCompletionSource> _begun = new();

    /// <summary>Completes when a write of <paramref name="request"/> to <paramref name="blockId"/> begins (what a test waits on while the writer is delayed).</summary>
    public Task Begun(int blockId, BlockStateRequest request) =>
        _begun.GetOrAdd((blockId, request), _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>Every value written to <c>auto_online_blocks</c>, in order.</summary>
    public ConcurrentQueue<string> AutoOnlineWrites { get; } = new();

    /// <summary>Makes writes to <c>auto_online_blocks</c> fail with this errno (null: they succeed).</summary>
    public Errno? AutoOnlineFailure { get; set; }

    public string? ReadAutoOnlineBlocks()
    {
        try
        {
            return File.ReadAllText(AutoOnlinePath).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public BlockWriteResult WriteAutoOnlineBlocks(string word)
    {
        AutoOnlineWrites.Enqueue(word);
        if (AutoOnlineFailure is { } errno)
        {
            return BlockWriteResult.Failed(errno, $"writing '{word}' to auto_online_blocks: {ErrnoNames.Describe(errno)}");
        }

        try
        {
            File.WriteAllText(AutoOnlinePath, word);
            return BlockWriteResult.Ok;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return BlockWriteResult.Failed(Errno.EACCES, $"writing '{word}' to auto_online_blocks: {ErrnoNames.Describe(Errno.EACCES)}");
        }
    }

    private string AutoOnlinePath => Path.Combine(tree.Root.MemoryDirectory, "auto_online_blocks");

    public async Task<BlockWriteResult> WriteAsync(int blockId, BlockStateRequest request, TimeSpan timeLimit, CancellationToken cancellationToken)
    {
        _begun.GetOrAdd((blockId, request), _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        if (_delays.TryGetValue((blockId, request), out var delay))
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (timeLimit != Timeout.InfiniteTimeSpan)
            {
                limit.CancelAfter(timeLimit);
            }

            try
            {
                await Task.Delay(delay, limit.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Writes.Enqueue((blockId, BlockStateWords.Format(request), false));
                return BlockWriteResult.Timeout(timeLimit);
            }
        }

        var result = Apply(blockId, request);
        if (result.Succeeded)
        {
            proc?.AccountFor(tree);
        }

        Writes.Enqueue((blockId, BlockStateWords.Format(request), result.Succeeded));
        return result;
    }

    /// <summary>
    /// As the real writer's child does: each block in turn within one time limit for them all, stopping at the first
    /// failure; a stop fails the block in progress with EINTR (its scripted delay cut short, the block left online).
    /// </summary>
    public async Task<IReadOnlyList<BlockWriteResult>> OfflineInTurnAsync(
        IReadOnlyList<int> blockIds, TimeSpan timeLimit, Action<int>? offlined, CancellationToken cancellationToken)
    {
        var results = new List<BlockWriteResult>();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        foreach (var id in blockIds)
        {
            var left = timeLimit == Timeout.InfiniteTimeSpan ? timeLimit : timeLimit - System.Diagnostics.Stopwatch.GetElapsedTime(started);
            BlockWriteResult result;
            try
            {
                result = cancellationToken.IsCancellationRequested ? BlockWriteResult.Stopped
                    : left != Timeout.InfiniteTimeSpan && left <= TimeSpan.Zero ? BlockWriteResult.Timeout(timeLimit)
                    : await WriteAsync(id, BlockStateRequest.Offline, left, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                Writes.Enqueue((id, BlockStateWords.Format(BlockStateRequest.Offline), false));
                result = BlockWriteResult.Stopped;
            }

            if (result.TimedOut)
            {
                result = BlockWriteResult.Timeout(timeLimit);
            }

            results.Add(result);
            if (!result.Succeeded)
            {
                break;
            }

            offlined?.Invoke(id);
        }

        return results;
    }

    /// <summary>
    /// The kernel's <c>valid_zones</c> of an offline block (drivers/base/memory.c, <c>default_zone_for_pfn</c>): the zone
    /// whose span (lowest to highest online block of the node, as the kernel shrinks spans on offline) contains the
    /// block comes first when only one of Normal and Movable does; otherwise the kernel zone (without movable_node).
    /// </summary>
    private string OfflineValidZones(int blockId)
    {
        var blocks = new SysfsMemoryReader(tree.Root).Read().Blocks;
        var node = blocks.FirstOrDefault(b => b.Id == blockId)?.Node ?? 0;
        bool InSpan(string zone)
        {
            var online = blocks.Where(b => b.Zone == zone && (b.Node ?? 0) == node).Select(b => b.Id).ToList();
            return online.Count > 0 && blockId > online.Min() && blockId < online.Max();
        }

        var (inKernel, inMovable) = (InSpan("Normal"), InSpan("Movable"));
        return inMovable && !inKernel ? "Movable Normal" : "Normal Movable";
    }

    private BlockWriteResult Apply(int blockId, BlockStateRequest request)
    {
        var word = BlockStateWords.Format(request);
        if (_failures.TryGetValue((blockId, request), out var scripted))
        {
            return BlockWriteResult.Failed(scripted, $"writing '{word}' to {MemoryBlockName.Format(blockId)}: {ErrnoNames.Describe(scripted)}");
        }

        if (!Directory.Exists(tree.Root.BlockDirectory(blockId)))
        {
            return BlockWriteResult.Failed(Errno.ENOENT, $"{MemoryBlockName.Format(blockId)}: {ErrnoNames.Describe(Errno.ENOENT)}");
        }

        var state = tree.ReadState(blockId);
        var zones = tree.ReadZones(blockId).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var invalid = BlockWriteResult.Failed(Errno.EINVAL, $"writing '{word}' to {MemoryBlockName.Format(blockId)}: {ErrnoNames.Describe(Errno.EINVAL)}");
        switch (request)
        {
            case BlockStateRequest.Offline:
                if (state != "online" || zones is ["none"])
                {
                    return invalid;
                }

                tree.SetBlock(blockId, "offline", "Normal Movable"); // offline first: the spans are of the blocks still online
                tree.SetBlock(blockId, "offline", OfflineValidZones(blockId));
                return BlockWriteResult.Ok;
            default:
                if (state != "online" && request switch
                    {
                        BlockStateRequest.OnlineMovable => zones.Contains("Movable"),
                        BlockStateRequest.OnlineKernel => zones.Any(z => z != "Movable"),
                        _ => zones.Length > 0,
                    })
                {
                    tree.SetBlock(blockId, "online", request switch
                    {
                        BlockStateRequest.OnlineMovable => "Movable",
                        BlockStateRequest.OnlineKernel => zones.First(z => z != "Movable"),
                        _ => zones[0],
                    });
                    return BlockWriteResult.Ok;
                }

                return invalid;
        }
    }
}
