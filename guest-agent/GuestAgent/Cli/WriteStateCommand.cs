using System.CommandLine;
using GuestAgent.Memory.Proc;
using GuestAgent.Memory.Writing;

namespace GuestAgent.Cli;

/// <summary>
/// <c>guest-agent write-state PATH WORD</c> (hidden): the child the agent runs to offline a block so that it can be
/// stopped (see <see cref="SysfsBlockStateWriter"/>). It makes itself the OOM killer's first choice, writes the word
/// once and exits with the kernel's errno (0 on success, 255 for bad arguments).
/// </summary>
public static class WriteStateCommand
{
    public const string Verb = "write-state";

    /// <summary>This executable as the agent's state writer.</summary>
    public static StateWriterCommand Self() => StateWriterCommand.ForCurrentProcess(Verb);

    public static Command Create()
    {
        var path = new Argument<string>("PATH") { Description = "A memory block's state attribute" };
        var word = new Argument<string>("WORD") { Description = "The state to write" };
        var command = new Command(Verb, "Write one memory block state (the agent's stoppable offline)") { path, word };
        command.Hidden = true;
        command.SetAction(result => Run(result.GetValue(path)!, result.GetValue(word)!, ProcRoot.Default));
        return command;
    }

    public static int Run(string path, string word, ProcRoot proc)
    {
        if (!BlockStateWords.TryParse(word, out _) || Path.GetFileName(path) != "state")
        {
            Console.Error.WriteLine($"guest-agent {Verb}: expected a memory block's state file and a state word, got '{path}' '{word}'");
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

        var result = SysfsBlockStateWriter.WriteInProcess(path, word);
        return result.Succeeded ? 0 : result.Errno is { } errno ? (int)errno : (int)Errno.EIO;
    }
}
