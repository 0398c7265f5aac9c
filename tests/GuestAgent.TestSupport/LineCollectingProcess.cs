using System.Collections.Concurrent;
using System.Diagnostics;

namespace GuestAgent.TestSupport;

/// <summary>Starts a long-running tool whose standard output lines a test watches as they come (stderr is drained).</summary>
public static class LineCollectingProcess
{
    /// <summary>The caller ends the process, and only it, through the returned handle.</summary>
    public static Process Start(string file, IEnumerable<string> arguments, ConcurrentQueue<string> lines, ConcurrentQueue<string>? errors = null)
    {
        var start = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start " + file);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lines.Enqueue(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                errors?.Enqueue(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
