using GuestAgent.Memory.Agent;
using GuestAgent.Memory.Uevents;
using GuestAgent.Memory.Writing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GuestAgent.Hosting;

public static class MemoryAgentServiceCollectionExtensions
{
    /// <summary>The memory agent with its already validated options, and its hosted service.</summary>
    public static IServiceCollection AddMemoryAgent(this IServiceCollection services, MemoryAgentOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<IBlockStateWriter>(_ => new SysfsBlockStateWriter(options.ToSysfsRoot()));
        services.AddSingleton(sp => new MemoryAgent(
            options,
            sp.GetRequiredService<IBlockStateWriter>(),
            sp.GetRequiredService<ILogger<MemoryAgent>>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<Func<IUeventSource>>(_ => () => NetlinkUeventSource.Open());
        services.AddHostedService<MemoryAgentService>();
        return services;
    }
}
