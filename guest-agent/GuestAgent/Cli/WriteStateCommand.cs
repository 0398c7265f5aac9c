using System.CommandLine;
using GuestAgent.Memory.Proc;
using GuestAgent.Memory.Writing;

namespace GuestAgent.Cli;

/// <summary>
/// <c>guest-agent write-state PATH… WORD</c> (hidden): the child the agent runs to offline a DIMM's blocks so that it
/// can be stopped (see <see cref="SysfsBlockStateWriter"/>). It makes itself the OOM killer's first choice, writes the
/// word to each block's state in turn, prints each outcome on a line (0 or the kernel's errno) as it goes, stops at the
/// first failure and exits with its errno (0 when all succeeded, 255 for bad arguments). One path is the form an agent
/// before 0.2 runs.
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
        command.SetAction(result => Run(result.GetValue(words)!, ProcRoot.Default, Console.Out));
        return command;
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
}
