using Microsoft.Extensions.Logging;

namespace GuestAgent.TestSupport;

/// <summary>A typed <see cref="RecordingLogger"/>.</summary>
public sealed class RecordingLogger<T> : ILogger<T>
{
    public RecordingLogger Inner { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Inner.Log(logLevel, eventId, state, exception, formatter);
}
