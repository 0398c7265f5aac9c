using System.CommandLine;
using GuestAgent.Memory.Proc;
using GuestAgent.Memory.Writing;

namespace GuestAgent.Cli;

/// <summary>
/// <c>guest-agent write-state PATH… WORD</c> (hidden): the child the agent runs to offline a DIMM's blocks so that it
/// can be stopped (see <see cref="SysfsBlockStateWriter"/>). It makes itself the OOM killer's first choice, writes the
/// word to each block's state in turn, prints each outcome on a line (0 or the kernel's errno) as it goes, stops at the
/// first failure and exits with its errno (0 when all succeeded, 255 for bad arguments). One path is the form an agent
/// before 0.2 runs. <c>guest-agent write-state -</c> is the form the agent starts ahead of an offline
/// (<see cref="WriterProcesses"/>): it waits for those arguments on its standard input, and ends with nothing written
/// when that input ends empty.
/// </summary>
public static class WriteStateCommand
{
    public const string Verb = "write-state";

    /// <summary>This executable as the agent's state writer.</summary>
    public static StateWriterCommand Self() => StateWriterCommand.ForCurrentProcess(Verb);

    public static Command Create()
    {
        var words = new Argument<string[]>("PATH… WORD") { Description = "Memory blocks' state attributes, then the state to write", Arity = ArgumentArity.OneOrMore };
        var command = new Command(Verb, "Write memory block states in turn (the agent's stoppable offline)") { words };
        command.Hidden = true;
        command.SetAction(result => RunAsChild(result.GetValue(words)!, ProcRoot.Default));
        return command;
    }

    /// <summary>The largest request on standard input (1 MiB; a 1 TiB DIMM of 128 MiB blocks needs some 400 KiB).</summary>
    public const int MaxRequestBytes = 1 << 20;

    /// <summary>The form the agent runs: arguments on the command line, or (<c>-</c>) waited for on standard input.</summary>
    public static int RunAsChild(IReadOnlyList<string> arguments, ProcRoot proc)
    {
        // Its outcomes go straight to file descriptor 1: the console's setup (terminal, signal thread) costs a start.
        using var output = new StreamWriter(new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(1, ownsHandle: false), FileAccess.Write, 1), new System.Text.UTF8Encoding(false)) { AutoFlush = true };
        if (arguments is not [StateWriterCommand.RequestOnStandardInput])
        {
            return Run(arguments, proc, output);
        }

        var request = ReadStandardInput();
        return request is null ? StateWriterCommand.UsageExitCode
            : request.Count == 0 ? 0
            : Run(request, proc, output);
    }

    public static int Run(IReadOnlyList<string> arguments, ProcRoot proc, TextWriter output)
    {
        if (arguments.Count < 2 || !BlockStateWords.TryParse(arguments[^1], out _) || arguments.Take(arguments.Count - 1).Any(p => Path.GetFileName(p) != "state"))
        {
            Console.Error.WriteLine($"guest-agent {Verb}: expected memory blocks' state files and a state word, got '{string.Join("' '", arguments)}'");
            return StateWriterCommand.UsageExitCode;
        }

        try
        {
            File.WriteAllText(proc.SelfOomScoreAdjust, "1000");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The write still happens; the agent's own protection does not depend on this.
        }

        var word = arguments[^1];
        for (var i = 0; i < arguments.Count - 1; i++)
        {
            var result = SysfsBlockStateWriter.WriteInProcess(arguments[i], word);
            var code = result.Succeeded ? 0 : result.Errno is { } errno ? (int)errno : (int)Errno.EIO;
            output.WriteLine(code.ToString(System.Globalization.CultureInfo.InvariantCulture));
            output.Flush();
            if (code != 0)
            {
                return code;
            }
        }

        return 0;
    }

    /// <summary>Standard input to its end, as a request's arguments; null when it is larger than a request can be or unreadable.</summary>
    private static IReadOnlyList<string>? ReadStandardInput()
    {
        var buffer = new byte[MaxRequestBytes + 1];
        var length = 0;
        try
        {
            using var input = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(0, ownsHandle: false), FileAccess.Read, 1);
            int read;
            while (length < buffer.Length && (read = input.Read(buffer, length, buffer.Length - length)) > 0)
            {
                length += read;
            }
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"guest-agent {Verb}: cannot read the request on standard input: {e.Message}");
            return null;
        }

        if (length > MaxRequestBytes)
        {
            Console.Error.WriteLine($"guest-agent {Verb}: the request on standard input is larger than {MaxRequestBytes / 1024} KiB");
            return null;
        }

        return StateWriterCommand.DecodeRequest(buffer.AsSpan(0, length));
    }
}
