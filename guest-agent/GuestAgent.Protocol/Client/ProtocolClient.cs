using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using System.Threading.Channels;
using GuestAgent.Protocol.Framing;
using GuestAgent.Protocol.Messages;

namespace GuestAgent.Protocol.Client;

/// <summary>
/// The host's (and the CLI's) side of the protocol over any byte stream: numbered requests matched to their replies,
/// events delivered in order on <see cref="Events"/>, junk lines and replies nobody waits for skipped. When the
/// stream ends, pending requests fail with <see cref="IOException"/>.
/// </summary>
public sealed class ProtocolClient : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly JsonLineWriter _writer;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonObject>> _pending = new();
    private readonly Channel<JsonObject> _events = Channel.CreateUnbounded<JsonObject>(new UnboundedChannelOptions { SingleReader = false });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reading;
    private long _nextId;

    public ProtocolClient(Stream stream)
    {
        _stream = stream;
        _writer = new JsonLineWriter(stream);
        _reading = ReadLoopAsync();
    }

    /// <summary>Events in arrival order: <c>{"event", "data", "timestamp"}</c>.</summary>
    public ChannelReader<JsonObject> Events => _events.Reader;

    /// <summary>Lines that were not JSON objects, or replies to no pending request.</summary>
    public int SkippedLines { get; private set; }

    /// <summary>Sends a request and waits for its reply; an error reply throws <see cref="ProtocolErrorException"/>.</summary>
    public Task<JsonNode?> ExecuteAsync(string command, JsonObject? arguments, CancellationToken cancellationToken) =>
        ExecuteAsync(command, arguments, sentinelFirst: false, cancellationToken);

    private async Task<JsonNode?> ExecuteAsync(string command, JsonObject? arguments, bool sentinelFirst, CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref _nextId);
        var reply = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = reply;
        try
        {
            var request = new JsonObject { ["execute"] = command, ["id"] = id };
            if (arguments is not null)
            {
                request["arguments"] = arguments.DeepClone();
            }

            await _writer.WriteLineAsync(JsonSerializer.SerializeToUtf8Bytes(request, ProtocolClientJsonContext.Default.JsonObject), cancellationToken, sentinelFirst)
                .ConfigureAwait(false);
            var message = await reply.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (message["error"] is JsonObject error)
            {
                throw new ProtocolErrorException(
                    new ProtocolError(error["class"]?.GetValue<string>() ?? "?", error["desc"]?.GetValue<string>() ?? "", error["errno"]?.GetValue<string>()));
            }

            return message["return"];
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    /// <summary>
    /// Starts a conversation: the 0xFF resync byte (the agent drops any partial line left from an earlier host) and
    /// <c>hello</c> with this library's protocol version. The agent sends <c>AGENT_READY</c> (the whole state) before
    /// the reply.
    /// </summary>
    public async Task<Payloads.HelloReturn> HelloAsync(IEnumerable<string> capabilities, CancellationToken cancellationToken)
    {
        var arguments = new JsonObject { ["protocol"] = ProtocolLimits.Version, ["capabilities"] = new JsonArray(capabilities.Select(c => (JsonNode?)c).ToArray()) };
        var reply = await ExecuteAsync(CommandNames.Hello, arguments, sentinelFirst: true, cancellationToken).ConfigureAwait(false);
        return reply.Deserialize(ProtocolJsonContext.Default.HelloReturn) ?? throw new InvalidDataException("hello returned nothing");
    }

    /// <summary>Reads events until one named <paramref name="name"/> arrives (the others are skipped).</summary>
    public async Task<JsonObject> WaitForEventAsync(string name, CancellationToken cancellationToken)
    {
        while (true)
        {
            var e = await _events.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (e["event"]?.GetValue<string>() == name)
            {
                return e;
            }
        }
    }

    /// <summary>Sends a request and reads its return as <typeparamref name="T"/>.</summary>
    public async Task<T> ExecuteAsync<T>(string command, JsonObject? arguments, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        var node = await ExecuteAsync(command, arguments, cancellationToken).ConfigureAwait(false);
        return node.Deserialize(type) ?? throw new InvalidDataException($"{command} returned nothing");
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
        try
        {
            await _reading.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // Closed.
        }

        _writer.Dispose();
        _stop.Dispose();
    }

    private async Task ReadLoopAsync()
    {
        await Task.Yield();
        var reader = new JsonLineReader(_stream, ProtocolLimits.MaxReplyLineBytes);
        try
        {
            while (true)
            {
                var read = await reader.ReadLineAsync(_stop.Token).ConfigureAwait(false);
                if (read.Status == LineReadStatus.EndOfStream)
                {
                    break;
                }

                if (read.Status != LineReadStatus.Line)
                {
                    SkippedLines++;
                    continue;
                }

                JsonObject? message;
                try
                {
                    message = JsonNode.Parse(read.Line.Span) as JsonObject;
                }
                catch (JsonException)
                {
                    message = null;
                }

                if (message is null)
                {
                    SkippedLines++;
                }
                else if (message.ContainsKey("event"))
                {
                    _events.Writer.TryWrite(message);
                }
                else if (message["id"] is JsonValue idValue && idValue.TryGetValue<long>(out var id) && _pending.TryGetValue(id, out var waiter))
                {
                    waiter.TrySetResult(message);
                }
                else
                {
                    SkippedLines++;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // Closed.
        }
        finally
        {
            _events.Writer.TryComplete();
            foreach (var waiter in _pending.Values)
            {
                waiter.TrySetException(new IOException("the agent closed the connection"));
            }
        }
    }
}
