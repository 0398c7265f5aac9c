using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using GuestAgent.Protocol.Framing;

namespace GuestAgent.Protocol.Client;

/// <summary>
/// The request/reply core both JSON-lines clients share, the agent's (<see cref="ProtocolClient"/>) and the host's QMP
/// client: numbered requests written as one JSON object per line (<c>{"execute", "arguments"?, "id"}</c>), replies
/// matched by id, every other object with an <c>event</c> handed to <c>onEvent</c> in arrival order, junk lines and
/// replies nobody waits for counted in <see cref="SkippedLines"/>. When the stream ends every pending request fails
/// with <see cref="IOException"/>, and <c>onClosed</c> runs once.
/// </summary>
public sealed class JsonLineRpc : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly JsonLineReader _reader;
    private readonly JsonLineWriter _writer;
    private readonly Action<JsonObject> _onEvent;
    private readonly Action? _onClosed;
    private readonly Action<long, JsonObject>? _onReply;
    private readonly string _peer;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonObject>> _pending = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reading;
    private long _nextId;
    private int _skipped;
    private volatile bool _closed;

    /// <param name="stream">The connection; not owned (the caller disposes it).</param>
    /// <param name="reader">Its reader (a client may have read a greeting with it already); lines up to its limit.</param>
    /// <param name="peer">Who is on the other end, for messages (<c>the agent</c>, <c>QEMU</c>).</param>
    /// <param name="onEvent">Called on the read loop for each event, in order.</param>
    /// <param name="onClosed">Called once when the stream ends.</param>
    /// <param name="onReply">Called on the read loop with a reply's id, before its request completes (after every event that came before it).</param>
    public JsonLineRpc(Stream stream, JsonLineReader reader, string peer, Action<JsonObject> onEvent, Action? onClosed = null, Action<long, JsonObject>? onReply = null)
    {
        _stream = stream;
        _reader = reader;
        _writer = new JsonLineWriter(stream);
        _peer = peer;
        _onEvent = onEvent;
        _onClosed = onClosed;
        _onReply = onReply;
        _reading = ReadLoopAsync();
    }

    /// <summary>Lines that were not JSON objects, or replies to no pending request.</summary>
    public int SkippedLines => Volatile.Read(ref _skipped);

    /// <summary>Completes when the stream has ended.</summary>
    public Task Completion => _reading;

    public bool IsClosed => _closed;

    /// <summary>
    /// Sends a request and returns the whole reply (with <c>return</c> or <c>error</c>); a stream that ends first throws
    /// <see cref="IOException"/>. <paramref name="sentinelFirst"/> puts the agent protocol's 0xFF resync byte before it.
    /// </summary>
    public Task<JsonObject> RequestAsync(string command, JsonObject? arguments, bool sentinelFirst, CancellationToken cancellationToken) =>
        RequestAsync(command, arguments, sentinelFirst, null, cancellationToken);

    /// <summary>As the other overload; <paramref name="numbered"/> learns the request's id before it is sent.</summary>
    public async Task<JsonObject> RequestAsync(string command, JsonObject? arguments, bool sentinelFirst, Action<long>? numbered, CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref _nextId);
        numbered?.Invoke(id);
        var reply = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = reply;
        try
        {
            if (_closed)
            {
                throw new IOException($"{_peer} closed the connection");
            }

            var request = new JsonObject { ["execute"] = command, ["id"] = id };
            if (arguments is not null)
            {
                request["arguments"] = arguments.DeepClone();
            }

            await _writer.WriteLineAsync(JsonSerializer.SerializeToUtf8Bytes(request, ProtocolClientJsonContext.Default.JsonObject), cancellationToken, sentinelFirst)
                .ConfigureAwait(false);
            return await reply.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
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
        try
        {
            while (true)
            {
                var read = await _reader.ReadLineAsync(_stop.Token).ConfigureAwait(false);
                if (read.Status == LineReadStatus.EndOfStream)
                {
                    break;
                }

                if (read.Status != LineReadStatus.Line || Parse(read.Line.Span) is not { } message)
                {
                    Interlocked.Increment(ref _skipped);
                }
                else if (message.ContainsKey("event"))
                {
                    _onEvent(message);
                }
                else if (message["id"] is JsonValue idValue && idValue.TryGetValue<long>(out var id) && _pending.TryGetValue(id, out var waiter))
                {
                    _onReply?.Invoke(id, message);
                    waiter.TrySetResult(message);
                }
                else
                {
                    Interlocked.Increment(ref _skipped);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            // Closed.
        }
        finally
        {
            _closed = true;
            _onClosed?.Invoke();
            foreach (var waiter in _pending.Values)
            {
                waiter.TrySetException(new IOException($"{_peer} closed the connection"));
            }
        }
    }

    private static JsonObject? Parse(ReadOnlySpan<byte> line)
    {
        try
        {
            return JsonNode.Parse(line) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
