namespace GuestAgent.Memory.Writing;

/// <summary>
/// The program that writes one state word in a child process, for offlines that must be stoppable: it is run as
/// <c>FILE ARGUMENTS… PATH WORD</c>, raises its own OOM score to the maximum (so that if the guest runs out of memory
/// the kernel kills the offline, not a user's process), writes once, and exits with 0 or the kernel's errno.
/// The agent runs itself for this (<c>guest-agent write-state</c>).
/// </summary>
public sealed record StateWriterCommand(string FileName, IReadOnlyList<string> Arguments)
{
    /// <summary>The exit code for "not started as the helper should be" (bad arguments): above every errno.</summary>
    public const int UsageExitCode = 255;

    /// <summary>
    /// The running executable with <paramref name="verb"/>: the NativeAOT agent is one file; under <c>dotnet</c> the
    /// assembly path comes first.
    /// </summary>
    public static StateWriterCommand ForCurrentProcess(string verb)
    {
        var process = Environment.ProcessPath ?? throw new InvalidOperationException("the agent's own executable is unknown");
        var entry = Environment.GetCommandLineArgs()[0];
        return Path.GetFileNameWithoutExtension(process) == "dotnet" && entry.EndsWith(".dll", StringComparison.Ordinal)
            ? new StateWriterCommand(process, [entry, verb])
            : new StateWriterCommand(process, [verb]);
    }
}
