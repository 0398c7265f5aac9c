using Serilog;
using Serilog.Events;

namespace GuestAgent.Logging;

/// <summary>Serilog set up for a systemd service: plain lines on stdout with journald priority prefixes.</summary>
public static class AgentLogging
{
    public const string OutputTemplate = "{Priority}{Message:lj}{NewLine}{Exception}";

    /// <summary>For one-shot commands whose stdout is the result: log lines go to stderr.</summary>
    public static Microsoft.Extensions.Logging.ILoggerFactory CreateStderrFactory(LogEventLevel minimum) =>
        Microsoft.Extensions.Logging.LoggerFactory.Create(builder => builder.AddSerilog(
            new LoggerConfiguration()
                .MinimumLevel.Is(minimum)
                .WriteTo.Console(outputTemplate: "{Message:lj}{NewLine}{Exception}", standardErrorFromLevel: LogEventLevel.Verbose, formatProvider: System.Globalization.CultureInfo.InvariantCulture)
                .CreateLogger(),
            dispose: true));

    public static LoggerConfiguration Configure(LoggerConfiguration configuration, LogEventLevel minimum) => configuration
        .MinimumLevel.Is(minimum)
        .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
        .Enrich.FromLogContext()
        .Enrich.With<JournaldPriorityEnricher>()
        .WriteTo.Console(outputTemplate: OutputTemplate, formatProvider: System.Globalization.CultureInfo.InvariantCulture);
}
