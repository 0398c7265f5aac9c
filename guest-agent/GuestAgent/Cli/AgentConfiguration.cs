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
    public static Channels.ChannelOptions BindChannelOptions(IConfiguration configuration)
    {
        var options = new Channels.ChannelOptions();
        try
        {
            configuration.GetSection(Channels.ChannelOptions.SectionName).Bind(options);
        }
        catch (InvalidOperationException e)
        {
            throw new ConfigurationException([e.InnerException?.Message ?? e.Message]);
        }

        var errors = options.Validate();
        return errors.Count == 0 ? options : throw new ConfigurationException(errors);
    }

    /// <summary>Binds and validates the <c>DBus</c> section; throws with every problem named.</summary>
    public static DBus.DBusOptions BindDBusOptions(IConfiguration configuration)
    {
        var options = new DBus.DBusOptions();
        try
        {
            configuration.GetSection(DBus.DBusOptions.SectionName).Bind(options);
        }
        catch (InvalidOperationException e)
        {
            throw new ConfigurationException([e.InnerException?.Message ?? e.Message]);
        }

        var errors = options.Validate();
        return errors.Count == 0 ? options : throw new ConfigurationException(errors);
    }

    /// <summary>Binds and validates the <c>Memory</c> section; throws with every problem named.</summary>
    public static MemoryAgentOptions BindMemoryOptions(IConfiguration configuration)
    {
        var options = new MemoryAgentOptions();
        try
        {
            configuration.GetSection(MemoryAgentOptions.SectionName).Bind(options);
        }
        catch (InvalidOperationException e)
        {
            throw new ConfigurationException([e.InnerException?.Message ?? e.Message]);
        }

        var errors = options.Validate();
        return errors.Count == 0 ? options : throw new ConfigurationException(errors);
    }
}
