using GuestAgent.Host.Cli;

return await HostCli.RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
