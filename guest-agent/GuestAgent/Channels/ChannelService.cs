using System.Collections.Concurrent;
using GuestAgent.Memory.Agent;
using GuestAgent.Protocol;
using GuestAgent.Protocol.Messages;
using GuestAgent.Protocol.Payloads;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GuestAgent.Channels;

/// <summary>Serves the protocol on every configured channel, each connection in its own <see cref="ProtocolSession"/>.</summary>
public sealed class ChannelService(
    IEnumerable<Func<IChannelListener>> listeners,
    MemoryAgent agent,
    CommandDispatcher dispatcher,
    ChannelOptions options,
    TimeProvider time,
    ILoggerFactory loggers) : BackgroundService
{
    private readonly ILogger _logger = loggers.CreateLogger<ChannelService>();
    private readonly ConcurrentDictionary<ProtocolSession, byte> _sessions = new();

    private readonly TaskCompletionSource _serving = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the model exists and every channel that could be opened is being served.</summary>
    public Task Serving => _serving.Task;

    /// <summary>Whether any peer is connected right now (for status lines).</summary>
    public bool AnyPeerConnected => !_sessions.IsEmpty;

    /// <summary>Raised when a peer connects or disconnects (after <see cref="AnyPeerConnected"/> changed or not).</summary>
    public event Action? PeersChanged;

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        var stopping = ProtocolMessages.Event(
            EventNames.AgentStopping, new AgentStoppingData { Reason = "the agent is stopping" }, ProtocolJsonContext.Default.AgentStoppingData, time.GetUtcNow());
        foreach (var session in _sessions.Keys)
        {
            session.Enqueue(stopping);
        }

        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await agent.ModelReady.WaitAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        var running = new List<Task>();
        foreach (var create in listeners)
        {
            IChannelListener listener;
            try
            {
                listener = create();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException)
            {
                _logger.LogError("Cannot open a channel: {Reason}; the agent goes on without it", e.Message);
                continue;
            }

            running.Add(ServeAsync(listener, stoppingToken));
        }

        _serving.TrySetResult();
        await Task.WhenAll(running).ConfigureAwait(false);
    }

    private async Task ServeAsync(IChannelListener listener, CancellationToken stoppingToken)
    {
        await using var _ = listener.ConfigureAwait(false);
        _logger.LogInformation("Serving the protocol on {Channel}", listener.Name);
        using var slots = new SemaphoreSlim(listener.MaxConcurrentConnections);
        var sessions = new List<Task>();
        try
        {
            await foreach (var connection in listener.AcceptAsync(stoppingToken).ConfigureAwait(false))
            {
                await slots.WaitAsync(stoppingToken).ConfigureAwait(false);
                var task = RunSessionAsync(connection, slots, stoppingToken);
                sessions.Add(task);
                sessions.RemoveAll(t => t.IsCompleted);
                if (listener.MaxConcurrentConnections == 1)
                {
                    await task.ConfigureAwait(false); // the port is opened again only after this connection ends
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }

        await Task.WhenAll(sessions).ConfigureAwait(false);
    }

    private async Task RunSessionAsync(ChannelConnection connection, SemaphoreSlim slots, CancellationToken stoppingToken)
    {
        var session = new ProtocolSession(connection, agent, dispatcher, options, time, loggers.CreateLogger<ProtocolSession>());
        _sessions[session] = 0;
        PeersChanged?.Invoke();
        try
        {
            await session.RunAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "{Peer}: session failed", connection.Peer);
        }
        finally
        {
            _sessions.TryRemove(session, out _);
            PeersChanged?.Invoke();
            await connection.DisposeAsync().ConfigureAwait(false);
            slots.Release();
        }
    }
}
