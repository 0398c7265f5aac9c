using Microsoft.Extensions.Logging;

namespace GuestAgent.Memory.Operations;

/// <summary>
/// Logs a problem once per cause (subject + cause): a block that fails the same way on every resync is reported at
/// warning level the first time and at debug level after that. A success forgets the subject's causes.
/// </summary>
public sealed class OnceLog(ILogger logger, int capacity = 4096)
{
    private readonly HashSet<(string Subject, string Cause)> _seen = [];
    private readonly Lock _lock = new();

    public void Warn(string subject, string cause, string message)
    {
        bool first;
        lock (_lock)
        {
            if (_seen.Count >= capacity)
            {
                _seen.Clear();
            }

            first = _seen.Add((subject, cause));
        }

        logger.Log(first ? LogLevel.Warning : LogLevel.Debug, "{Subject}: {Message}", subject, message);
    }

    public void Forget(string subject)
    {
        lock (_lock)
        {
            _seen.RemoveWhere(entry => entry.Subject == subject);
        }
    }
}
