using System.Text;
using GuestAgent.Memory.Sysfs;

namespace GuestAgent.Memory.Writing;

/// <summary>
/// Writes <c>memoryN/state</c> and <c>auto_online_blocks</c> under a <see cref="SysfsRoot"/>. Onlining is written
/// in-process (it takes 10–60 ms). Offlining with a time limit or a stop is written by a child process
/// (<see cref="OfflineWriterRun"/>, one for all the blocks of a DIMM) that is killed with SIGKILL to stop it: a signal
/// makes the kernel give up the migration and roll the block back, and the signal that stops a writer must not stop the
/// agent; the child is also the OOM killer's first choice, so a guest that runs short while a DIMM goes offline loses
/// the offline, not its work. The child reports the kernel's errno per block.
/// </summary>
public sealed class SysfsBlockStateWriter(SysfsRoot root, StateWriterCommand child) : IBlockStateWriter
{
    public Task<BlockWriteResult> WriteAsync(int blockId, BlockStateRequest request, TimeSpan timeLimit, CancellationToken cancellationToken)
    {
        var path = root.BlockAttribute(blockId, "state");
        var word = BlockStateWords.Format(request);
        return request == BlockStateRequest.Offline && (timeLimit != Timeout.InfiniteTimeSpan || cancellationToken.CanBeCanceled)
            ? WriteInChildAsync(child, path, word, timeLimit, cancellationToken)
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
            return await OfflineWriterRun.RunAsync(child, paths, word, timeLimit, i => offlined?.Invoke(blockIds[i]), cancellationToken).ConfigureAwait(false);
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

    private static async Task<BlockWriteResult> WriteInChildAsync(StateWriterCommand child, string path, string word, TimeSpan timeLimit, CancellationToken cancellationToken)
    {
        var results = await OfflineWriterRun.RunAsync(child, [path], word, timeLimit, null, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return results[^1];
    }
}
