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
/// While a <c>hello</c> is unanswered, events are held: when its reply comes, everything before the last
/// <c>AGENT_READY</c> is dropped (<see cref="StaleEvents"/>). A virtio-serial port keeps what the guest wrote while no
/// host was connected, so the first lines a new host reads can be an earlier agent's greeting and events; the state
/// begins at the <c>AGENT_READY</c> sent for this hello, the last one before its reply.
/// </summary>
public sealed class ProtocolClient : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly Channel<JsonObject> _events = Channel.CreateUnbounded<JsonObject>(new UnboundedChannelOptions { SingleReader = false });
    private readonly JsonLineRpc _rpc;
    private readonly Lock _holding = new();
    private readonly HashSet<long> _pendingHellos = [];
    private readonly List<JsonObject> _held = [];
    private int _stale;

    public ProtocolClient(Stream stream)
    {
        _stream = stream;
        _rpc = new JsonLineRpc(stream, new JsonLineReader(stream, ProtocolLimits.MaxReplyLineBytes), "the agent", OnEvent, () => _events.Writer.TryComplete(), OnReply);
    }

    /// <summary>Events dropped because they came before the <c>AGENT_READY</c> of a hello (left in the port by an earlier conversation).</summary>
    public int StaleEvents => Volatile.Read(ref _stale);

    /// <summary>Events in arrival order: <c>{"event", "data", "timestamp"}</c>.</summary>
    public ChannelReader<JsonObject> Events => _events.Reader;

    /// <summary>Lines that were not JSON objects, or replies to no pending request.</summary>
    public int SkippedLines => _rpc.SkippedLines;

    /// <summary>Sends a request and waits for its reply; an error reply throws <see cref="ProtocolErrorException"/>.</summary>
    public async Task<JsonNode?> ExecuteAsync(string command, JsonObject? arguments, CancellationToken cancellationToken) =>
        ReturnOf(await _rpc.RequestAsync(command, arguments, sentinelFirst: false, cancellationToken).ConfigureAwait(false));

    private static JsonNode? ReturnOf(JsonObject message)
    {
        if (message["error"] is JsonObject error)
        {
            throw new ProtocolErrorException(
                new ProtocolError(error["class"]?.GetValue<string>() ?? "?", error["desc"]?.GetValue<string>() ?? "", error["errno"]?.GetValue<string>()));
        }

        return message["return"];
    }

    /// <summary>
    /// Starts a conversation: the 0xFF resync byte (the agent drops any partial line left from an earlier host) and
    /// <c>hello</c> with this library's protocol version. The agent sends <c>AGENT_READY</c> (the whole state) before
    /// the reply.
    /// </summary>
    public async Task<Payloads.HelloReturn> HelloAsync(IEnumerable<string> capabilities, CancellationToken cancellationToken)
    {
        var arguments = new JsonObject { ["protocol"] = ProtocolLimits.Version, ["capabilities"] = new JsonArray(capabilities.Select(c => (JsonNode?)c).ToArray()) };
        long id = 0;
        JsonNode? reply;
        try
        {
            reply = ReturnOf(await _rpc.RequestAsync(CommandNames.Hello, arguments, sentinelFirst: true, n => Hold(id = n), cancellationToken).ConfigureAwait(false));
        }
        finally
        {
            Unhold(id);
        }

        return reply.Deserialize(ProtocolJsonContext.Default.HelloReturn) ?? throw new InvalidDataException("hello returned nothing");
    }

    private void Hold(long helloId)
    {
        lock (_holding)
        {
            _pendingHellos.Add(helloId);
        }
    }

    /// <summary>A hello given up on (no reply): once no other hello is pending, what was held is delivered as it came.</summary>
    private void Unhold(long helloId)
    {
        lock (_holding)
        {
            if (!_pendingHellos.Remove(helloId) || _pendingHellos.Count > 0)
            {
                return;
            }

            foreach (var e in _held)
            {
                _events.Writer.TryWrite(e);
            }

            _held.Clear();
        }
    }

    private void OnEvent(JsonObject e)
    {
        lock (_holding)
        {
            if (_pendingHellos.Count > 0)
            {
                _held.Add(e);
                return;
            }
        }

        _events.Writer.TryWrite(e);
    }

    private void OnReply(long id, JsonObject reply)
    {
        lock (_holding)
        {
            if (!_pendingHellos.Remove(id))
            {
                return;
            }

            var greeting = _held.FindLastIndex(static e => e["event"]?.GetValue<string>() == EventNames.AgentReady);
            Interlocked.Add(ref _stale, Math.Max(greeting, 0));
            for (var i = Math.Max(greeting, 0); i < _held.Count; i++)
            {
                _events.Writer.TryWrite(_held[i]);
            }

            _held.Clear();
            _pendingHellos.Clear();
        }
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
        await _stream.DisposeAsync().ConfigureAwait(false);
        await _rpc.DisposeAsync().ConfigureAwait(false);
    }
}
