using System.Diagnostics;
using System.Text;
using GuestAgent.Memory.Sysfs;

namespace GuestAgent.Memory.Writing;

/// <summary>
/// Writes <c>memoryN/state</c> and <c>auto_online_blocks</c> under a <see cref="SysfsRoot"/>. Onlining is written
/// in-process (it takes 10–60 ms). Offlining with a time limit or a stop is written by a child process
/// (<see cref="StateWriterCommand"/>) that is killed with SIGKILL to stop it: the kernel retries page migration for
/// as long as the writer lives and stops only for a fatal signal, which a thread of this process cannot receive
/// without the whole agent dying. The child's exit code is the kernel's errno.
/// </summary>
public sealed class SysfsBlockStateWriter(SysfsRoot root, StateWriterCommand child) : IBlockStateWriter
{
    public Task<BlockWriteResult> WriteAsync(int blockId, BlockStateRequest request, TimeSpan timeLimit, CancellationToken cancellationToken)
    {
        var path = root.BlockAttribute(blockId, "state");
        var word = BlockStateWords.Format(request);
        return request == BlockStateRequest.Offline && (timeLimit != Timeout.InfiniteTimeSpan || cancellationToken.CanBeCanceled)
            ? WriteInChildAsync(path, word, timeLimit, cancellationToken)
            : Task.Run(() => WriteInProcess(path, word), cancellationToken);
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

    private async Task<BlockWriteResult> WriteInChildAsync(string path, string word, TimeSpan timeLimit, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(child.FileName)
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in child.Arguments.Append(path).Append(word))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return BlockWriteResult.Failed(Errno.ENOENT, $"cannot start {child.FileName} to write '{word}' to {path}");
        }

        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeLimit != Timeout.InfiniteTimeSpan)
        {
            limit.CancelAfter(timeLimit);
        }

        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // SIGKILL: a fatal signal is what makes the kernel stop migrating and roll the block back.
            process.Kill(entireProcessTree: false);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return BlockWriteResult.Timeout(timeLimit);
        }

        return process.ExitCode switch
        {
            0 => BlockWriteResult.Ok,
            StateWriterCommand.UsageExitCode => BlockWriteResult.Failed(Errno.EIO, $"the state writer refused its arguments: {(await stderr.ConfigureAwait(false)).Trim()}"),
            > 128 => BlockWriteResult.Failed(Errno.EINTR, $"writing '{word}' to {path}: the writer was killed by signal {process.ExitCode - 128}"
                + (process.ExitCode - 128 == 9 ? " (the kernel's OOM killer picks it first when the guest runs out of memory)" : "")),
            var code => BlockWriteResult.Failed((Errno)code, $"writing '{word}' to {path}: {ErrnoNames.Describe((Errno)code)}"),
        };
    }
}
