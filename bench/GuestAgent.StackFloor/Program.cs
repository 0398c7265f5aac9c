using System.CommandLine;
using GuestAgent.StackFloor;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serilog;

// `stack-floor run`: what the agent's `run` sets up (System.CommandLine, JSON + environment configuration bound to a
// section, Serilog on stdout, Microsoft.Extensions.Hosting with Hosting.Systemd and one hosted service), and nothing of
// the agent itself.
var run = new Command("run", "Start the bare stack and idle");
run.SetAction(async (_, cancellationToken) =>
{
    Log.Logger = new LoggerConfiguration()
        .MinimumLevel.Information()
        .MinimumLevel.Override("Microsoft", Serilog.Events.LogEventLevel.Warning)
        .Enrich.FromLogContext()
        .WriteTo.Console(outputTemplate: "{Message:lj}{NewLine}{Exception}", formatProvider: System.Globalization.CultureInfo.InvariantCulture)
        .CreateLogger();
    var configuration = new ConfigurationBuilder()
        .AddJsonFile("/etc/guest-agent/stack-floor.json", optional: true, reloadOnChange: false)
        .AddEnvironmentVariables("STACK_FLOOR_")
        .Build();
    var options = new FloorOptions();
    configuration.GetSection("Memory").Bind(options);
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
    builder.Logging.ClearProviders();
    builder.Logging.AddSerilog(Log.Logger, dispose: false);
    builder.Services.AddSystemd();
    builder.Services.AddSingleton(options);
    builder.Services.AddHostedService<IdleService>();
    using var host = builder.Build();
    await host.RunAsync(cancellationToken).ConfigureAwait(false);
    await Log.CloseAndFlushAsync().ConfigureAwait(false);
    return 0;
});
return await new RootCommand("The design card's stack, without the agent") { run }.Parse(args).InvokeAsync().ConfigureAwait(false);
