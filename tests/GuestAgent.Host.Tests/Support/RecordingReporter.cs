using System.Collections.Concurrent;
using GuestAgent.Host.Reporting;

namespace GuestAgent.Host.Tests.Support;

/// <summary>Keeps every event reported, and lets a test wait for the one it expects (never a poll).</summary>
public sealed class RecordingReporter : IHostReporter
{
    private readonly Lock _lock = new();
    private readonly List<(Func<HostEvent, bool> Match, TaskCompletionSource<HostEvent> Seen)> _waiting = [];

    public ConcurrentQueue<HostEvent> Events { get; } = new();

    public IReadOnlyList<string> Kinds => Events.Select(e => e.Kind).ToList();

    public string Text => string.Join('\n', Events.Select(e => e.Message));

    public void Report(HostEvent e)
    {
        lock (_lock)
        {
            Events.Enqueue(e);
            foreach (var waiter in _waiting.Where(w => w.Match(e)).ToList())
            {
                _waiting.Remove(waiter);
                waiter.Seen.TrySetResult(e);
            }
        }
    }

    /// <summary>The first event (already reported, or to come) that <paramref name="match"/> accepts.</summary>
    public Task<HostEvent> WaitAsync(Func<HostEvent, bool> match, TimeSpan? limit = null)
    {
        lock (_lock)
        {
            if (Events.FirstOrDefault(match) is { } seen)
            {
                return Task.FromResult(seen);
            }

            var waiter = new TaskCompletionSource<HostEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting.Add((match, waiter));
            return waiter.Task.WaitAsync(limit ?? TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        }
    }

    /// <summary>The <paramref name="n"/>-th event (from 1) of kind <paramref name="kind"/>.</summary>
    public Task<HostEvent> WaitAsync(string kind, int n = 1, TimeSpan? limit = null)
    {
        var count = 0;
        lock (_lock)
        {
            return WaitAsync(e => e.Kind == kind && ++count == n, limit);
        }
    }
}
