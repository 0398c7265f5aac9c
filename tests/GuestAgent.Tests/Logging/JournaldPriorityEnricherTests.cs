using GuestAgent.Logging;
using Serilog.Events;
using Serilog.Parsing;

namespace GuestAgent.Tests.Logging;

public class JournaldPriorityEnricherTests
{
    [Theory]
    [InlineData(LogEventLevel.Debug, "<7>")]
    [InlineData(LogEventLevel.Information, "<6>")]
    [InlineData(LogEventLevel.Warning, "<4>")]
    [InlineData(LogEventLevel.Error, "<3>")]
    [InlineData(LogEventLevel.Fatal, "<2>")]
    public void AddsTheSyslogPriorityJournaldReads(LogEventLevel level, string prefix)
    {
        var logEvent = new LogEvent(DateTimeOffset.Now, level, null, new MessageTemplateParser().Parse("x"), []);

        new JournaldPriorityEnricher().Enrich(logEvent, null!);

        Assert.Equal($"\"{prefix}\"", logEvent.Properties[JournaldPriorityEnricher.PropertyName].ToString());
    }
}
