namespace GuestAgent.Memory.Writing;

/// <summary>
/// The program that writes state words in a child process, for offlines that must be stoppable: it is run as
/// <c>FILE ARGUMENTS… PATH… WORD</c>, or as <c>FILE ARGUMENTS… -</c> to wait for those same arguments on its standard
/// input (each ended by a NUL byte, the request ended by the input's end; an input that ends empty ends it with nothing
/// written, exit 0). Given its request it raises its own OOM score to the maximum (so that if the guest runs out of
/// memory the kernel kills the offline, not a user's process), writes in turn, and exits with 0 or the kernel's errno.
/// The agent runs itself for this (<c>guest-agent write-state</c>).
/// </summary>
public sealed record StateWriterCommand(string FileName, IReadOnlyList<string> Arguments)
{
    /// <summary>The exit code for "not started as the helper should be" (bad arguments): above every errno.</summary>
    public const int UsageExitCode = 255;

    /// <summary>The one argument that makes it wait for its request on its standard input.</summary>
    public const string RequestOnStandardInput = "-";

    /// <summary>The request on standard input: each argument followed by a NUL byte (paths never hold one).</summary>
    public static byte[] EncodeRequest(IEnumerable<string> arguments) =>
        System.Text.Encoding.UTF8.GetBytes(string.Concat(arguments.Select(a => a + "\0")));

    /// <summary>The arguments of a request read from standard input (see <see cref="EncodeRequest"/>); empty for none.</summary>
    public static IReadOnlyList<string> DecodeRequest(ReadOnlySpan<byte> request)
    {
        var text = System.Text.Encoding.UTF8.GetString(request);
        return text.Length == 0 ? [] : text.TrimEnd('\0').Split('\0');
    }

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
