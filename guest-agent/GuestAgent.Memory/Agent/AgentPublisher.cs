using GuestAgent.Memory.Capacity;
using GuestAgent.Memory.Model;
using Microsoft.Extensions.Logging;

namespace GuestAgent.Memory.Agent;

/// <summary>
/// The one place the agent's view changes and its events go out. Each publish builds the view from a snapshot and a
/// fresh reading of the guest's memory accounting, and queues the events between the last view and this one; the
/// queue is delivered by one thread at a time, in the order the views were published, also when a publish happens
/// meanwhile (from another thread, or from an event handler, whose events then follow those being delivered).
/// </summary>
public sealed class AgentPublisher(CapacityReader capacity, Func<MemorySnapshot, CapacitySample, MemoryAgentView> build, MemoryAgentView initial, ILogger logger)
{
    private readonly Lock _lock = new();
    private readonly Queue<AgentEvent> _pending = new();
    private MemoryAgentView _view = initial;
    private bool _delivering;

    /// <summary>Raised after each change, outside the publisher's lock, in order.</summary>
    public event Action<AgentEvent>? Changed;

    /// <summary>The view as last published.</summary>
    public MemoryAgentView View
    {
        get
        {
            lock (_lock)
            {
                return _view;
            }
        }
    }

    /// <summary>Builds and publishes the view of <paramref name="snapshot"/>; its events are delivered before this returns unless another delivery runs.</summary>
    public MemoryAgentView Publish(MemorySnapshot snapshot)
    {
        var sample = capacity.Read();
        MemoryAgentView view;
        lock (_lock)
        {
            view = build(snapshot, sample);
            foreach (var e in SnapshotDiff.Compute(_view.Snapshot, _view.Readiness, view.Snapshot, view.Readiness))
            {
                _pending.Enqueue(e);
            }

            _view = view;
        }

        Deliver();
        return view;
    }

    /// <summary>Queues events that are not a view's change (an operation finished, the policy changed) behind those already queued.</summary>
    public void Raise(params IReadOnlyList<AgentEvent> events)
    {
        lock (_lock)
        {
            foreach (var e in events)
            {
                _pending.Enqueue(e);
            }
        }

        Deliver();
    }

    private void Deliver()
    {
        while (true)
        {
            AgentEvent next;
            lock (_lock)
            {
                if (_delivering || !_pending.TryDequeue(out next!))
                {
                    return;
                }

                _delivering = true;
            }

            try
            {
                Changed?.Invoke(next);
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "An event handler failed for {Event}", next.Kind);
            }
            finally
            {
                lock (_lock)
                {
                    _delivering = false;
                }
            }
        }
    }
}
