using GuestAgent.Memory.Agent;
using Microsoft.Extensions.Configuration;

namespace GuestAgent.Cli;

/// <summary>
/// Where settings come from, later ones winning: built-in defaults, the JSON file (default
/// <c>/etc/guest-agent/guest-agent.json</c>, optional), environment variables prefixed <c>GUEST_AGENT_</c>
/// (<c>GUEST_AGENT_Memory__Policy=kernel</c>), then command-line options.
/// </summary>
public static class AgentConfiguration
{
    public const string DefaultFile = "/etc/guest-agent/guest-agent.json";
    public const string EnvironmentPrefix = "GUEST_AGENT_";

    public static IConfigurationRoot Build(string? file, IDictionary<string, string?>? overrides = null)
    {
        var builder = new ConfigurationBuilder();
        var path = file ?? DefaultFile;
        builder.AddJsonFile(path, optional: file is null, reloadOnChange: false);
        builder.AddEnvironmentVariables(EnvironmentPrefix);
        if (overrides is not null)
        {
            builder.AddInMemoryCollection(overrides);
        }

        return builder.Build();
    }

    /// <summary>Binds and validates the <c>Channels</c> section; throws with every problem named.</summary>
    public static Channels.ChannelOptions BindChannelOptions(IConfiguration configuration) =>
        Validated(new Channels.ChannelOptions(), o => configuration.GetSection(Channels.ChannelOptions.SectionName).Bind(o), o => o.Validate());

    /// <summary>Binds and validates the <c>DBus</c> section; throws with every problem named.</summary>
    public static DBus.DBusOptions BindDBusOptions(IConfiguration configuration) =>
        Validated(new DBus.DBusOptions(), o => configuration.GetSection(DBus.DBusOptions.SectionName).Bind(o), o => o.Validate());

    /// <summary>Binds and validates the <c>Memory</c> section; throws with every problem named.</summary>
    public static MemoryAgentOptions BindMemoryOptions(IConfiguration configuration) =>
        Validated(new MemoryAgentOptions(), o => configuration.GetSection(MemoryAgentOptions.SectionName).Bind(o), o => o.Validate());

    /// <summary>
    /// Binds one section (each caller binds its own concrete type, so the trimming-safe source-generated binder serves
    /// it) and validates it: a value that does not convert or any rule broken throws <see cref="ConfigurationException"/>.
    /// </summary>
    private static T Validated<T>(T options, Action<T> bind, Func<T, IReadOnlyList<string>> validate)
    {
        try
        {
            bind(options);
        }
        catch (InvalidOperationException e)
        {
            throw new ConfigurationException([e.InnerException?.Message ?? e.Message]);
        }

        var errors = validate(options);
        return errors.Count == 0 ? options : throw new ConfigurationException(errors);
    }
}
