using System.Text;
using GuestAgent.Memory.Sysfs;

namespace GuestAgent.Memory.Writing;

/// <summary>
/// Writes <c>memoryN/state</c> and <c>auto_online_blocks</c> under a <see cref="SysfsRoot"/>. Onlining is written
/// in-process (it takes 10–60 ms). Offlining with a time limit or a stop is written by a child process
/// (<see cref="OfflineWriterRun"/>, one for all the blocks of a DIMM) that is killed with SIGKILL to stop it: a signal
/// makes the kernel give up the migration and roll the block back, and the signal that stops a writer must not stop the
/// agent; the child is also the OOM killer's first choice, so a guest that runs short while a DIMM goes offline loses
/// the offline, not its work. The child reports the kernel's errno per block. After the first such offline, the next
/// one's child is started ahead and waits (<see cref="WriterProcesses"/>); disposing ends it.
/// </summary>
/// <param name="root">Where the memory blocks are.</param>
/// <param name="child">The writer to run.</param>
/// <param name="writerStarted">Told the process id of each writer started (for the log, and for tests that play the OOM killer).</param>
public sealed class SysfsBlockStateWriter(SysfsRoot root, StateWriterCommand child, Action<int>? writerStarted = null) : IBlockStateWriter, IDisposable
{
    private readonly WriterProcesses _writers = new(child, writerStarted);

    public Task<BlockWriteResult> WriteAsync(int blockId, BlockStateRequest request, TimeSpan timeLimit, CancellationToken cancellationToken)
    {
        var path = root.BlockAttribute(blockId, "state");
        var word = BlockStateWords.Format(request);
        return request == BlockStateRequest.Offline && (timeLimit != Timeout.InfiniteTimeSpan || cancellationToken.CanBeCanceled)
            ? WriteInChildAsync(_writers, path, word, timeLimit, cancellationToken)
            : Task.Run(() => WriteInProcess(path, word), cancellationToken);
    }

    /// <summary>With a time limit or a stop, one child process writes them all (<see cref="OfflineWriterRun"/>); else in-process.</summary>
    public async Task<IReadOnlyList<BlockWriteResult>> OfflineInTurnAsync(
        IReadOnlyList<int> blockIds, TimeSpan timeLimit, Action<int>? offlined, CancellationToken cancellationToken)
    {
        var word = BlockStateWords.Format(BlockStateRequest.Offline);
        if (timeLimit != Timeout.InfiniteTimeSpan || cancellationToken.CanBeCanceled)
        {
            var paths = blockIds.Select(id => root.BlockAttribute(id, "state")).ToList();
            return await OfflineWriterRun.RunAsync(_writers, paths, word, timeLimit, i => offlined?.Invoke(blockIds[i]), cancellationToken).ConfigureAwait(false);
        }

        var results = new List<BlockWriteResult>();
        foreach (var id in blockIds)
        {
            var result = await Task.Run(() => WriteInProcess(root.BlockAttribute(id, "state"), word), CancellationToken.None).ConfigureAwait(false);
            results.Add(result);
            if (!result.Succeeded)
            {
                break;
            }

            offlined?.Invoke(id);
        }

        return results;
    }

    /// <summary>Ends the writer waiting for the next offline, if any.</summary>
    public void Dispose() => _writers.Dispose();

    public string? ReadAutoOnlineBlocks() => LibcFile.TryReadText(AutoOnlinePath, out _);

    public BlockWriteResult WriteAutoOnlineBlocks(string word) => WriteInProcess(AutoOnlinePath, word);

    private string AutoOnlinePath => Path.Combine(root.MemoryDirectory, "auto_online_blocks");

    /// <summary>One open (truncating, as a shell redirection does; sysfs ignores it) and one write, so the kernel's errno reaches the caller unchanged.</summary>
    public static unsafe BlockWriteResult WriteInProcess(string path, string word)
    {
        var fd = Native.Libc.OpenAt(Native.Libc.AtFdCwd, path, Native.Libc.OpenWriteOnly | Native.Libc.OpenTruncate | Native.Libc.OpenCloseOnExec);
        if (fd < 0)
        {
            var openErrno = (Errno)Native.Libc.LastError;
            return BlockWriteResult.Failed(openErrno, $"cannot open {path}: {ErrnoNames.Describe(openErrno)}");
        }

        try
        {
            var bytes = Encoding.ASCII.GetBytes(word);
            nint written;
            Errno errno;
            do
            {
                fixed (byte* p = bytes)
                {
                    written = Native.Libc.Write(fd, p, bytes.Length);
                }

                errno = written < 0 ? (Errno)Native.Libc.LastError : 0;
            }
            while (written < 0 && errno == Errno.EINTR);

            if (written < 0)
            {
                return BlockWriteResult.Failed(errno, $"writing '{word}' to {path}: {ErrnoNames.Describe(errno)}");
            }

            return written == bytes.Length
                ? BlockWriteResult.Ok
                : BlockWriteResult.Failed(Errno.EIO, $"writing '{word}' to {path}: short write ({written} of {bytes.Length} bytes)");
        }
        finally
        {
            _ = Native.Libc.Close(fd);
        }
    }

    private static async Task<BlockWriteResult> WriteInChildAsync(WriterProcesses writers, string path, string word, TimeSpan timeLimit, CancellationToken cancellationToken)
    {
        var results = await OfflineWriterRun.RunAsync(writers, [path], word, timeLimit, null, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return results[^1];
    }
}
