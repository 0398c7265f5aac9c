using System.Diagnostics;

namespace GuestAgent.TestSupport;

/// <summary>Runs a tool to completion and returns its exit code and its output (stdout, then stderr).</summary>
public static class ToolRunner
{
    public static async Task<(int Code, string Output)> RunAsync(string file, string[] args, TimeSpan timeLimit)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(timeLimit);
        await process.WaitForExitAsync(limit.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
