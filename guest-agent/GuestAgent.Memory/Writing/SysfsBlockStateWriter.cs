using System.Diagnostics;
using System.Text;
using GuestAgent.Memory.Sysfs;
using Mono.Unix.Native;

namespace GuestAgent.Memory.Writing;

/// <summary>
/// Writes <c>memoryN/state</c> under a <see cref="SysfsRoot"/>. Onlining is written in-process (it takes 10–60 ms).
/// Offlining with a time limit is written by a child process (<c>dd</c>) that is killed with SIGKILL at the limit: the
/// kernel retries page migration for as long as the writer lives and stops only for a fatal signal, which a thread
/// of this process cannot receive without the whole agent dying.
/// </summary>
public sealed class SysfsBlockStateWriter(SysfsRoot root, string ddPath = "dd") : IBlockStateWriter
{
    public Task<BlockWriteResult> WriteAsync(int blockId, BlockStateRequest request, TimeSpan timeLimit, CancellationToken cancellationToken)
    {
        var path = root.BlockAttribute(blockId, "state");
        var word = BlockStateWords.Format(request);
        return request == BlockStateRequest.Offline && timeLimit != Timeout.InfiniteTimeSpan
            ? WriteInChildAsync(path, word, timeLimit, cancellationToken)
            : Task.Run(() => WriteInProcess(path, word), cancellationToken);
    }

    /// <summary>One open (truncating, as a shell redirection does; sysfs ignores it) and one write, so the kernel's errno reaches the caller unchanged.</summary>
    internal static BlockWriteResult WriteInProcess(string path, string word)
    {
        var fd = Syscall.open(path, OpenFlags.O_WRONLY | OpenFlags.O_TRUNC | OpenFlags.O_CLOEXEC);
        if (fd < 0)
        {
            var openErrno = Stdlib.GetLastError();
            return BlockWriteResult.Failed(openErrno, $"cannot open {path}: {ErrnoText.Describe(openErrno)}");
        }

        try
        {
            var bytes = Encoding.ASCII.GetBytes(word);
            long written;
            Errno errno;
            do
            {
                written = WriteBytes(fd, bytes);
                errno = written < 0 ? Stdlib.GetLastError() : 0;
            }
            while (written < 0 && errno == Errno.EINTR);

            if (written < 0)
            {
                return BlockWriteResult.Failed(errno, $"writing '{word}' to {path}: {ErrnoText.Describe(errno)}");
            }

            return written == bytes.Length
                ? BlockWriteResult.Ok
                : BlockWriteResult.Failed(Errno.EIO, $"writing '{word}' to {path}: short write ({written} of {bytes.Length} bytes)");
        }
        finally
        {
            _ = Syscall.close(fd);
        }
    }

    private static unsafe long WriteBytes(int fd, byte[] bytes)
    {
        fixed (byte* p = bytes)
        {
            return Syscall.write(fd, p, (ulong)bytes.Length);
        }
    }

    private async Task<BlockWriteResult> WriteInChildAsync(string path, string word, TimeSpan timeLimit, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(ddPath)
        {
            ArgumentList = { "of=" + path, "conv=nocreat", "status=none" },
            RedirectStandardInput = true,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.Environment["LC_ALL"] = "C";

        using var child = new Process { StartInfo = start };
        try
        {
            child.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return BlockWriteResult.Failed(Errno.ENOENT, $"cannot start {ddPath} to write '{word}' to {path}: {e.Message}");
        }

        var stderr = child.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await child.StandardInput.WriteAsync(word).ConfigureAwait(false);
            child.StandardInput.Close();
        }
        catch (IOException)
        {
            // The child exited before reading (it could not open the attribute): its exit code and message say why.
        }

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeLimit);
        try
        {
            await child.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // SIGKILL: a fatal signal is what makes the kernel stop migrating and roll the block back.
            child.Kill(entireProcessTree: false);
            await child.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return BlockWriteResult.Timeout(timeLimit);
        }

        if (child.ExitCode == 0)
        {
            return BlockWriteResult.Ok;
        }

        var message = (await stderr.ConfigureAwait(false)).Trim();
        var errno = ErrnoText.FromMessage(message) ?? Errno.EIO;
        return BlockWriteResult.Failed(errno, $"writing '{word}' to {path}: {ErrnoText.Describe(errno)}");
    }
}
