using Serilog.Core;
using Serilog.Events;

namespace GuestAgent.Logging;

/// <summary>
/// Adds <c>Priority</c>: the syslog priority prefix (<c>&lt;3&gt;</c> … <c>&lt;7&gt;</c>) that journald reads from a
/// service's stdout, so <c>journalctl -p warning -u guest-agent</c> filters by level.
/// </summary>
public sealed class JournaldPriorityEnricher : ILogEventEnricher
{
    public const string PropertyName = "Priority";

    private static readonly LogEventProperty[] Prefixes =
    [
        new(PropertyName, new ScalarValue("<7>")), // Verbose → debug
        new(PropertyName, new ScalarValue("<7>")), // Debug
        new(PropertyName, new ScalarValue("<6>")), // Information → info
        new(PropertyName, new ScalarValue("<4>")), // Warning
        new(PropertyName, new ScalarValue("<3>")), // Error → err
        new(PropertyName, new ScalarValue("<2>")), // Fatal → crit
    ];

    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory) =>
        logEvent.AddPropertyIfAbsent(Prefixes[(int)logEvent.Level]);
}
