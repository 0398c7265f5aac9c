using System.Threading.Channels;
using GuestAgent.Memory.Agent;
using GuestAgent.Memory.Operations;
using GuestAgent.Protocol;
using GuestAgent.Protocol.Framing;
using GuestAgent.Protocol.Messages;
using Microsoft.Extensions.Logging;

namespace GuestAgent.Channels;

/// <summary>
/// Serves one connected peer: sends <c>AGENT_READY</c> (the whole state) first, then answers each request line and
/// pushes the agent's events. Every outgoing line goes through one bounded queue written by one task, so neither the
/// agent nor other peers ever wait for this peer; a peer that stops reading for longer than the write timeout, or
/// lets the queue fill, is disconnected (and gets the whole state again when it comes back). Bad input gets an error
/// reply and the session goes on; each kind of bad input is logged once per session.
/// </summary>
public sealed class ProtocolSession(
    ChannelConnection connection,
    MemoryAgent agent,
    CommandDispatcher dispatcher,
    ChannelOptions options,
    TimeProvider time,
    ILogger logger)
{
    /// <summary>Outgoing lines queued for this peer at most; past it the peer is too slow and is disconnected.</summary>
    public const int OutgoingQueueLength = 4096;

    private readonly Channel<(byte[] Line, bool Sentinel)> _outgoing = Channel.CreateBounded<(byte[], bool)>(
        new BoundedChannelOptions(OutgoingQueueLength) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly SemaphoreSlim _inFlight = new(ProtocolLimits.MaxInFlightRequests, ProtocolLimits.MaxInFlightRequests);
    private readonly OnceLog _badInput = new(logger);
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _greeting = new();
    private List<byte[]>? _beforeGreeting = [];
    private MemoryStatusWatch? _watch;

    /// <summary>Runs until the peer disconnects, misbehaves past recovery, or the agent stops.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        var token = linked.Token;
        logger.LogInformation("{Peer} connected", connection.Peer);
        agent.Changed += OnAgentEvent;
        var writer = WriteLoopAsync(token);
        var watch = _watch = new MemoryStatusWatch(dispatcher.MemoryStatusEvent, line => Enqueue(line), time, logger);
        var requests = new List<Task>();
        try
        {
            Greet();
            var reader = new JsonLineReader(connection.Stream, ProtocolLimits.MaxRequestLineBytes);
            while (!token.IsCancellationRequested)
            {
                var read = await reader.ReadLineAsync(token).ConfigureAwait(false);
                if (read.Status == LineReadStatus.EndOfStream)
                {
                    break;
                }

                if (read.Status == LineReadStatus.TooLong)
                {
                    _badInput.Warn(connection.Peer, "too-long", $"request line of {read.SkippedBytes} bytes discarded (limit {ProtocolLimits.MaxRequestLineBytes})");
                    Enqueue(CommandDispatcher.Error(ErrorClasses.LineTooLong, $"line of {read.SkippedBytes} bytes is over the limit of {ProtocolLimits.MaxRequestLineBytes}", null));
                    continue;
                }

                var request = ProtocolRequestParser.Parse(read.Line, out var error, out var id);
                if (request is null)
                {
                    _badInput.Warn(connection.Peer, error!.Class, error.Desc);
                    Enqueue(ProtocolMessages.Error(error, id));
                    continue;
                }

                if (!_inFlight.Wait(0, CancellationToken.None))
                {
                    _badInput.Warn(connection.Peer, "flood", $"more than {ProtocolLimits.MaxInFlightRequests} requests in flight");
                    Enqueue(CommandDispatcher.Error(ErrorClasses.Busy, $"more than {ProtocolLimits.MaxInFlightRequests} requests in flight on this connection", request));
                    continue;
                }

                if (request.Execute == CommandNames.Hello)
                {
                    // A virtio-serial host that disconnects and reconnects quickly can look to the guest like the same
                    // connection: every hello gets the whole state again, before its reply, and ends a watch the last
                    // host asked for (the new one asks again if it wants it).
                    watch.Set(0);
                    Enqueue(dispatcher.AgentReadyEvent());
                }

                requests.Add(ServeAsync(request, token));
                requests.RemoveAll(t => t.IsCompleted);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Stopping, or the writer gave up on this peer.
        }
        catch (IOException e)
        {
            logger.LogInformation("{Peer}: connection lost: {Reason}", connection.Peer, e.Message);
        }
        finally
        {
            agent.Changed -= OnAgentEvent;
            await watch.DisposeAsync().ConfigureAwait(false);
            await Task.WhenAll(requests).ConfigureAwait(false);
            _outgoing.Writer.TryComplete();
            await _stop.CancelAsync().ConfigureAwait(false);
            await writer.ConfigureAwait(false);
            logger.LogInformation("{Peer} disconnected", connection.Peer);
        }
    }

    /// <summary>Queues a line for this peer; a peer whose queue is full is disconnected.</summary>
    public void Enqueue(byte[] line, bool sentinel = false)
    {
        if (!_outgoing.Writer.TryWrite((line, sentinel)))
        {
            logger.LogWarning("{Peer} is not reading; disconnecting it (it gets the whole state again when it reconnects)", connection.Peer);
            _stop.Cancel();
        }
    }

    /// <summary>
    /// AGENT_READY goes first. Events raised while it is being built are held and sent after it: they may repeat what
    /// the model already shows, but none is lost between the model and the subscription.
    /// </summary>
    private void Greet()
    {
        var ready = dispatcher.AgentReadyEvent();
        lock (_greeting)
        {
            Enqueue(ready);
            foreach (var held in _beforeGreeting!)
            {
                Enqueue(held);
            }

            _beforeGreeting = null;
        }
    }

    private async Task ServeAsync(ProtocolRequest request, CancellationToken cancellationToken)
    {
        try
        {
            var (reply, sentinel) = await dispatcher.DispatchAsync(request, cancellationToken, _watch).ConfigureAwait(false);
            Enqueue(reply, sentinel);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The peer left or the agent stops; an operation in progress was cancelled (and rolled back).
        }
        catch (Exception e)
        {
            logger.LogError(e, "{Peer}: {Command} failed unexpectedly", connection.Peer, request.Execute);
            Enqueue(CommandDispatcher.Error(ErrorClasses.InternalError, $"{request.Execute} failed: {e.Message}", request));
        }
        finally
        {
            _inFlight.Release();
        }
    }

    /// <summary>Every agent event has a protocol counterpart (<see cref="AgentEventMessages"/>); a failure here is a bug, which the publisher logs.</summary>
    private void OnAgentEvent(AgentEvent e)
    {
        var message = AgentEventMessages.ToMessage(e, agent.View, time.GetUtcNow());
        lock (_greeting)
        {
            if (_beforeGreeting is not null)
            {
                _beforeGreeting.Add(message);
                return;
            }
        }

        Enqueue(message);
    }

    private async Task WriteLoopAsync(CancellationToken cancellationToken)
    {
        var lines = new JsonLineWriter(connection.Stream);
        try
        {
            await foreach (var (line, sentinel) in _outgoing.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                using var limit = new CancellationTokenSource(options.WriteTimeout);
                try
                {
                    await lines.WriteLineAsync(line, limit.Token, sentinel).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    logger.LogWarning("{Peer} did not read for {Timeout}; disconnecting it", connection.Peer, options.WriteTimeout);
                    await _stop.CancelAsync().ConfigureAwait(false);
                    return;
                }
                catch (IOException)
                {
                    await _stop.CancelAsync().ConfigureAwait(false);
                    return;
                }
            }
        }
        finally
        {
            lines.Dispose();
        }
    }
}
