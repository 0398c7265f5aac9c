using System.Diagnostics;

namespace GuestAgent.Memory.Writing;

/// <summary>
/// One run of the stoppable offline writer (<see cref="StateWriterCommand"/>, taken from <see cref="WriterProcesses"/>,
/// usually started ahead, and given <c>PATH… WORD</c> on its input): a child process that writes the word to each path
/// in turn, says each outcome on a line of its own as it goes (0 or the kernel's errno), and stops at the first failure.
/// One process for a whole DIMM, so the cost of a start is paid once, not per block, and before the offline, not during
/// it. To stop it, it is killed with SIGKILL: the kernel retries page migration until the writer has a signal pending,
/// then gives up and rolls the block in progress back.
/// </summary>
internal static class OfflineWriterRun
{
    public static async Task<IReadOnlyList<BlockWriteResult>> RunAsync(
        WriterProcesses writers, IReadOnlyList<string> paths, string word, TimeSpan timeLimit, Action<int>? done, CancellationToken cancellationToken)
    {
        var results = new List<BlockWriteResult>();
        if (paths.Count == 0)
        {
            return results;
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return [BlockWriteResult.Stopped];
        }

        if (timeLimit != Timeout.InfiniteTimeSpan && timeLimit <= TimeSpan.Zero)
        {
            return [BlockWriteResult.Timeout(timeLimit)];
        }

        // The child's stderr is the agent's own (its one message, for bad arguments, goes to the same log). Its stdout
        // is read until it closes, which is when the child ends; a stop kills it, which closes it too.
        var request = StateWriterCommand.EncodeRequest(paths.Append(word));
        Process? taken = null;
        for (var attempt = 0; taken is null; attempt++)
        {
            Process writer;
            try
            {
                writer = writers.Take();
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                return [BlockWriteResult.Failed(Errno.ENOENT, $"cannot start {writers.FileName} to write '{word}' to {paths[0]}")];
            }

            try
            {
                writer.StandardInput.BaseStream.Write(request);
                writer.StandardInput.Close();
                taken = writer;
            }
            catch (IOException)
            {
                // The writer started ahead ended before its request (killed meanwhile): once more, with a new one.
                writer.Dispose();
                if (attempt > 0)
                {
                    return [BlockWriteResult.Failed(Errno.EIO, $"the state writer ended before it was asked to write '{word}' to {paths[0]}")];
                }
            }
        }

        using var process = taken;
        var stopped = 0;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using (limit.Token.Register(() =>
               {
                   // SIGKILL: a fatal signal is what makes the kernel stop migrating and roll the block back.
                   Interlocked.Exchange(ref stopped, 1);
                   try
                   {
                       process.Kill(entireProcessTree: false);
                   }
                   catch (InvalidOperationException)
                   {
                       // It ended meanwhile.
                   }
               }))
        {
            if (timeLimit != Timeout.InfiniteTimeSpan)
            {
                limit.CancelAfter(timeLimit);
            }

            // A thread of its own reads the outcomes and reaps the child: the thread pool's threads may all be
            // waiting (the port's and the uevent socket's reads), and a blocked pool adds threads only slowly.
            var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var reader = new Thread(() =>
            {
                try
                {
                    ReadOutcomes(process.StandardOutput, paths, word, results, done);
                    process.WaitForExit(); // its stdout closed: it has ended or is ending
                    finished.SetResult();
                }
                catch (Exception e)
                {
                    finished.SetException(e);
                }
            })
            {
                IsBackground = true,
                Name = "offline writer",
            };
            reader.Start();
            try
            {
                await finished.Task.ConfigureAwait(false);
            }
            finally
            {
                // The next offline's writer, started now that this one has ended, off this operation's path.
                ThreadPool.UnsafeQueueUserWorkItem(static w => w.StartAhead(), writers, preferLocal: false);
            }
        }

        if (results.Count > 0 && !results[^1].Succeeded)
        {
            return results; // the writer said which block failed, and how
        }

        if (results.Count == paths.Count && process.ExitCode == 0)
        {
            return results;
        }

        var path = paths[Math.Min(results.Count, paths.Count - 1)];
        results.Add(process.ExitCode switch
        {
            _ when stopped == 1 => cancellationToken.IsCancellationRequested ? BlockWriteResult.Stopped : BlockWriteResult.Timeout(timeLimit),
            StateWriterCommand.UsageExitCode => BlockWriteResult.Failed(Errno.EIO, "the state writer refused its arguments (its message is in the agent's log)"),
            > 128 => BlockWriteResult.Failed(Errno.EINTR, $"writing '{word}' to {path}: the writer was killed by signal {process.ExitCode - 128}"
                + (process.ExitCode - 128 == 9 ? " (the kernel's OOM killer picks it first when the guest runs out of memory)" : "")),
            0 => BlockWriteResult.Failed(Errno.EIO, $"writing '{word}' to {path}: the writer ended without saying how"),
            var code => BlockWriteResult.Failed((Errno)code, $"writing '{word}' to {path}: {ErrnoNames.Describe((Errno)code)}"),
        });
        return results;
    }

    /// <summary>One line per path written: 0 or the errno. A line that is not a number ends the reading (the exit code tells).</summary>
    private static void ReadOutcomes(StreamReader output, IReadOnlyList<string> paths, string word, List<BlockWriteResult> results, Action<int>? done)
    {
        while (results.Count < paths.Count && output.ReadLine() is { } line)
        {
            if (!int.TryParse(line, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code))
            {
                break;
            }

            var path = paths[results.Count];
            if (code != 0)
            {
                results.Add(BlockWriteResult.Failed((Errno)code, $"writing '{word}' to {path}: {ErrnoNames.Describe((Errno)code)}"));
                break;
            }

            results.Add(BlockWriteResult.Ok);
            done?.Invoke(results.Count - 1);
        }

        _ = output.ReadToEnd();
    }
}
