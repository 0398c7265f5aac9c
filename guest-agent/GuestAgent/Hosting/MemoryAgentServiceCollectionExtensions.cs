using GuestAgent.Channels;
using GuestAgent.Memory.Agent;
using GuestAgent.Memory.Uevents;
using GuestAgent.Memory.Writing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GuestAgent.Hosting;

public static class MemoryAgentServiceCollectionExtensions
{
    /// <summary>The memory agent with its already validated options, and its hosted service.</summary>
    public static IServiceCollection AddMemoryAgent(this IServiceCollection services, MemoryAgentOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<IBlockStateWriter>(sp =>
        {
            var logger = sp.GetRequiredService<ILogger<SysfsBlockStateWriter>>();
            return new SysfsBlockStateWriter(options.ToSysfsRoot(), Cli.WriteStateCommand.Self(), pid => logger.LogDebug("Offline writer started (pid {Pid})", pid));
        });
        services.AddSingleton(sp => new MemoryAgent(
            options,
            sp.GetRequiredService<IBlockStateWriter>(),
            sp.GetRequiredService<ILogger<MemoryAgent>>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<Func<IUeventSource>>(_ => () => NetlinkUeventSource.Open());
        services.AddHostedService<MemoryAgentService>();
        return services;
    }

    /// <summary>The protocol on the virtio-serial port, the control socket and the optional development socket.</summary>
    public static IServiceCollection AddAgentChannels(this IServiceCollection services, ChannelOptions channels, MemoryAgentOptions memory)
    {
        services.AddSingleton(channels);
        services.AddSingleton(sp => new Commands.AgentCommandService(sp.GetRequiredService<MemoryAgent>(), memory, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new CommandDispatcher(sp.GetRequiredService<Commands.AgentCommandService>(), sp.GetRequiredService<TimeProvider>()));
        if (channels.VirtioPortName.Length > 0)
        {
            services.AddSingleton<Func<IChannelListener>>(sp => () => new VirtioSerialListener(memory.ToSysfsRoot(), channels, sp.GetRequiredService<ILogger<VirtioSerialListener>>()));
        }

        var control = channels.ControlSocket ?? Path.Combine(memory.RuntimeDirectory, ChannelOptions.ControlSocketFileName);
        if (control.Length > 0)
        {
            ChannelOptions.TryParseMode(channels.ControlSocketMode, out var mode);
            services.AddSingleton<Func<IChannelListener>>(_ => () => UnixSocketListener.Bind(control, mode, "control socket"));
        }

        if (channels.ListenSocket.Length > 0)
        {
            services.AddSingleton<Func<IChannelListener>>(_ => () => UnixSocketListener.Bind(channels.ListenSocket, 0x180 /* 0600 */, "socket " + channels.ListenSocket));
        }

        services.AddSingleton<ChannelService>();
        services.AddHostedService(sp => sp.GetRequiredService<ChannelService>());
        services.AddSystemd(); // READY=1/STOPPING=1 and the notifier, when systemd runs the agent
        services.TryAddSingleton<Microsoft.Extensions.Hosting.Systemd.ISystemdNotifier, Microsoft.Extensions.Hosting.Systemd.SystemdNotifier>();
        services.AddHostedService<SystemdStatusService>();
        services.AddHostedService<HeapTrimService>();
        return services;
    }

    /// <summary>The D-Bus interface <c>org.guestagent.Memory1</c> on the system bus (needs the channels' command service).</summary>
    public static IServiceCollection AddAgentDBus(this IServiceCollection services, DBus.DBusOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton<DBus.DBusService>();
        services.AddHostedService(sp => sp.GetRequiredService<DBus.DBusService>());
        return services;
    }

    /// <summary>Last: the host has started (and systemd hears READY=1) only once the model exists and the channels are served.</summary>
    public static IServiceCollection AddServingGate(this IServiceCollection services) => services.AddHostedService<ServingGate>();
}
