using System.CommandLine;
using GuestAgent.Cli;
using GuestAgent.CommandLine;
using GuestAgent.Memory.Proc;

// The agent's stoppable offline runs this executable once per DIMM (guest-agent write-state PATH… WORD): straight to
// the writes, without building the command line, as its start is part of every prepared unplug's time.
if (args is [WriteStateCommand.Verb, _, _, ..])
{
    return WriteStateCommand.Run(args[1..], ProcRoot.Default, Console.Out);
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
