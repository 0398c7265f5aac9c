using System.CommandLine;
using GuestAgent.Cli;
using GuestAgent.CommandLine;

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
