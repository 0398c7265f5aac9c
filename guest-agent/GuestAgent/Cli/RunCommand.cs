using System.CommandLine;
using GuestAgent.Hosting;
using GuestAgent.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;

namespace GuestAgent.Cli;

/// <summary><c>guest-agent run [--config FILE] [--sysfs-root DIR] [--policy P] [--verbose]</c>: the daemon.</summary>
public static class RunCommand
{
    public static Command Create()
    {
        var config = new Option<string?>("--config") { Description = $"JSON configuration file (default {AgentConfiguration.DefaultFile}, optional)" };
        var sysfsRoot = new Option<string?>("--sysfs-root") { Description = "Where sysfs is mounted (overrides Memory:SysfsRoot)" };
        var policy = new Option<string?>("--policy") { Description = "Onlining policy (overrides Memory:Policy)" };
        var runtimeDir = new Option<string?>("--runtime-dir") { Description = "Runtime directory (overrides Memory:RuntimeDirectory)" };
        var listen = new Option<string?>("--listen") { Description = "Also serve the protocol on this unix socket (overrides Channels:ListenSocket)" };
        var control = new Option<string?>("--control-socket") { Description = "The control socket; empty turns it off (overrides Channels:ControlSocket)" };
        var port = new Option<string?>("--port") { Description = "The virtio-serial port name; empty turns it off (overrides Channels:VirtioPortName)" };
        var verbose = new Option<bool>("--verbose") { Description = "Log at debug level" };
        var command = new Command("run", "Run the agent: online new memory per policy and keep the model current") { config, sysfsRoot, policy, runtimeDir, listen, control, port, verbose };
        command.SetAction(async (result, cancellationToken) =>
        {
            var overrides = new Dictionary<string, string?>();
            AddOverride(overrides, "Memory:SysfsRoot", result.GetValue(sysfsRoot));
            AddOverride(overrides, "Memory:Policy", result.GetValue(policy));
            AddOverride(overrides, "Memory:RuntimeDirectory", result.GetValue(runtimeDir));
            AddOverride(overrides, "Channels:ListenSocket", result.GetValue(listen));
            AddOverride(overrides, "Channels:ControlSocket", result.GetValue(control));
            AddOverride(overrides, "Channels:VirtioPortName", result.GetValue(port));
            return await RunAsync(result.GetValue(config), overrides, result.GetValue(verbose), cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static void AddOverride(Dictionary<string, string?> overrides, string key, string? value)
    {
        if (value is not null)
        {
            overrides[key] = value.Length > 0 && (key.EndsWith("Root", StringComparison.Ordinal) || key.EndsWith("Directory", StringComparison.Ordinal) || key.EndsWith("Socket", StringComparison.Ordinal))
                ? Path.GetFullPath(value)
                : value;
        }
    }

    private static async Task<int> RunAsync(string? configFile, Dictionary<string, string?> overrides, bool verbose, CancellationToken cancellationToken)
    {
        Log.Logger = AgentLogging.Configure(new LoggerConfiguration(), verbose ? LogEventLevel.Debug : LogEventLevel.Information).CreateLogger();
        try
        {
            var configuration = AgentConfiguration.Build(configFile, overrides);
            var options = AgentConfiguration.BindMemoryOptions(configuration);
            var channels = AgentConfiguration.BindChannelOptions(configuration);
            var dbus = AgentConfiguration.BindDBusOptions(configuration);
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Logging.ClearProviders();
            builder.Logging.AddSerilog(Log.Logger, dispose: false);
            builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning); // SystemdLifetime's start/stop chatter
            builder.Services.AddMemoryAgent(options);
            builder.Services.AddAgentChannels(channels, options);
            builder.Services.AddAgentDBus(dbus);
            builder.Services.AddServingGate();
            using var host = builder.Build();
            try
            {
                await host.RunAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped (SIGTERM) before the first scan was served: what had started stops as usual, giving the
                // kernel's onlining settings back.
                await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        }
        catch (ConfigurationException e)
        {
            foreach (var error in e.Errors)
            {
                Log.Fatal("Configuration: {Error}", error);
            }

            return ExitCodes.Usage;
        }
        catch (FileNotFoundException e)
        {
            Log.Fatal("Configuration file not found: {File}", e.FileName);
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.Fatal(e, "The agent stopped on an error");
            return ExitCodes.Failed;
        }
        finally
        {
            await Log.CloseAndFlushAsync().ConfigureAwait(false);
        }
    }
}
