using System.Diagnostics;

namespace GuestAgent.Memory.Writing;

/// <summary>
/// Starts the stoppable offline's writers (<see cref="StateWriterCommand"/> in its request-on-stdin form,
/// <c>FILE ARGUMENTS… -</c>) and keeps one started ahead: a writer waits on its standard input for its request (the
/// paths and the word, as its command line would give them) and does nothing before, so the start of a process (some
/// 80 ms of a prepared unplug under TCG) is paid between offlines instead of during one. After each offline the next
/// writer is started; one that died meanwhile (an OOM kill, a person's kill) is replaced when taken. Disposing closes the
/// waiting writer's input, which ends it; a writer whose agent dies sees its input close too.
/// </summary>
public sealed class WriterProcesses(StateWriterCommand command, Action<int>? started = null) : IDisposable
{
    private readonly Lock _lock = new();
    private Process? _waiting;
    private bool _disposed;

    /// <summary>The writer's executable, for messages.</summary>
    public string FileName => command.FileName;

    /// <summary>
    /// A started writer, waiting for its request: the one started ahead when it is still alive, else a new one.
    /// </summary>
    /// <exception cref="System.ComponentModel.Win32Exception">The executable cannot be started.</exception>
    /// <exception cref="InvalidOperationException">Likewise, or this is disposed.</exception>
    public Process Take()
    {
        Process? waiting;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            (waiting, _waiting) = (_waiting, null);
        }

        if (waiting is not null && !waiting.HasExited)
        {
            return waiting;
        }

        waiting?.Dispose();
        return Start();
    }

    /// <summary>Starts the next writer to wait, unless one waits already (never throws: a writer that cannot start now is started when taken).</summary>
    public void StartAhead()
    {
        lock (_lock)
        {
            if (_disposed || _waiting is { HasExited: false })
            {
                return;
            }
        }

        Process next;
        try
        {
            next = Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return;
        }

        Process? surplus = null;
        lock (_lock)
        {
            if (_disposed || _waiting is { HasExited: false })
            {
                surplus = next;
            }
            else
            {
                _waiting?.Dispose();
                _waiting = next;
            }
        }

        if (surplus is not null)
        {
            Discard(surplus);
        }
    }

    public void Dispose()
    {
        Process? waiting;
        lock (_lock)
        {
            _disposed = true;
            (waiting, _waiting) = (_waiting, null);
        }

        if (waiting is not null)
        {
            Discard(waiting);
        }
    }

    private Process Start()
    {
        var start = new ProcessStartInfo(command.FileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in command.Arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.ArgumentList.Add(StateWriterCommand.RequestOnStandardInput);
        var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch
        {
            process.Dispose();
            throw;
        }

        started?.Invoke(process.Id);
        return process;
    }

    /// <summary>A writer never given a request: its input closed, it ends without writing anything; reaped off this thread.</summary>
    private static void Discard(Process process)
    {
        try
        {
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // It had ended.
        }

        _ = process.WaitForExitAsync().ContinueWith(_ => process.Dispose(), TaskScheduler.Default);
    }
}
