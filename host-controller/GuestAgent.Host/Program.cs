using GuestAgent.Host.Cli;

return await HostCli.Create(Console.Out, Console.Error).Parse(args).InvokeAsync().ConfigureAwait(false);
