using System.CommandLine;
using GuestAgent.Cli;
using GuestAgent.CommandLine;
using GuestAgent.Memory.Proc;

// The agent's stoppable offline runs this executable (guest-agent write-state PATH… WORD, or write-state - waiting for
// them on its input): straight to the writes, without building the command line, as its start counts.
if (args is [WriteStateCommand.Verb, _, ..])
{
    return WriteStateCommand.RunAsChild(args[1..], ProcRoot.Default);
}

var root = new RootCommand("GuestAgent: onlines hot-plugged memory as movable and tells the host which DIMMs can be unplugged")
{
    ScanCommand.Create(),
    RunCommand.Create(),
    StatusCommand.Create(),
    UnplugCommands.PrepareUnplug(),
    UnplugCommands.CancelUnplug(),
    UnplugCommands.MakeMovable(),
    WriteStateCommand.Create(),
};
return await CommandLineRunner.RunAsync(root, args, Console.Out, Console.Error, "guest-agent").ConfigureAwait(false);
