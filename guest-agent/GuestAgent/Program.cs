using System.CommandLine;
using GuestAgent.Cli;

var root = new RootCommand("GuestAgent: onlines hot-plugged memory as movable and tells the host which DIMMs can be unplugged")
{
    ScanCommand.Create(),
    RunCommand.Create(),
    StatusCommand.Create(),
    UnplugCommands.PrepareUnplug(),
    UnplugCommands.CancelUnplug(),
};
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
