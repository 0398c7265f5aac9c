using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GuestAgent.Protocol.Client;
using GuestAgent.Protocol.Framing;

using GuestAgent.Host.Hypervisor;

namespace GuestAgent.Host.Qmp;

/// <summary>
/// A QMP client over QEMU's unix socket: checks the greeting (a socket that is not QEMU is refused), negotiates
/// capabilities, matches replies to requests by id, and hands events to subscribers in order. Reply lines up to
/// 16 MiB; junk lines are skipped and counted.
/// </summary>
public sealed class QmpClient : IAsyncDisposable
{
    private const int MaxLineBytes = 16 << 20;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly JsonLineReader _reader;
    private readonly List<HypervisorEventSubscription> _subscriptions = [];
    private readonly Lock _subscriptionLock = new();
    private JsonLineRpc? _rpc;
    private bool _closed;

    private QmpClient(Socket socket, string path)
    {
        _socket = socket;
        Path = path;
        _stream = new NetworkStream(socket, ownsSocket: false);
        _reader = new JsonLineReader(_stream, MaxLineBytes);
    }

    public string Path { get; }

    /// <summary>QEMU's version from the greeting, e.g. "7.2.0".</summary>
    public string Version { get; private set; } = "";

    public int SkippedLines => _rpc?.SkippedLines ?? 0;

    /// <summary>Completes when QEMU closes the connection (it quit, or another client took the monitor over).</summary>
    public Task Closed => _rpc?.Completion ?? Task.CompletedTask;

    public static async Task<QmpClient> ConnectAsync(string path, TimeSpan greetingTimeout, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new QmpException($"no QMP socket: {Sockets.UnixSocketErrors.Describe(path, e)} (is QEMU running with -qmp unix:{path},server=on,wait=off?)", e);
        }

        var client = new QmpClient(socket, path);
        try
        {
            await client.GreetAsync(greetingTimeout, cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task GreetAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        LineReadResult first;
        try
        {
            first = await _reader.ReadLineAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new QmpException($"{Path} said nothing within {timeout.TotalSeconds:0.#} s: not a QMP socket, or another client holds the monitor (QEMU serves one client per QMP socket)", silent: true);
        }
        catch (IOException e)
        {
            throw new QmpException($"{Path} closed the connection before greeting: {e.Message}", e);
        }

        JsonObject? greeting = null;
        if (first.Status == LineReadStatus.Line)
        {
            try
            {
                greeting = JsonNode.Parse(first.Line.Span) as JsonObject;
            }
            catch (JsonException)
            {
                // Not JSON: reported below.
            }
        }

        if (greeting?["QMP"] is not JsonObject qmp)
        {
            var seen = first.Status switch
            {
                LineReadStatus.EndOfStream => "the connection closed",
                LineReadStatus.Line => "it sent: " + Shorten(Encoding.UTF8.GetString(first.Line.Span)),
                _ => "it sent junk",
            };
            throw new QmpException($"{Path} is not a QMP socket: {seen}");
        }

        var version = qmp["version"]?["qemu"];
        Version = version is null ? "?" : $"{version["major"]}.{version["minor"]}.{version["micro"]}";
        _rpc = new JsonLineRpc(_stream, _reader, "QEMU", OnEvent, OnClosed);
        await ExecuteAsync("qmp_capabilities", null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs a command; QEMU's error reply throws <see cref="QmpCommandException"/>, a lost connection <see cref="QmpException"/>.</summary>
    public async Task<JsonNode?> ExecuteAsync(string command, JsonObject? arguments, CancellationToken cancellationToken)
    {
        var rpc = _rpc ?? throw new QmpException($"the QMP connection to {Path} is not open");
        JsonObject message;
        try
        {
            message = await rpc.RequestAsync(command, arguments, sentinelFirst: false, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new QmpException(rpc.IsClosed ? $"QEMU closed the QMP connection {Path}" : $"lost the QMP connection to {Path}: {e.Message}", e);
        }

        if (message["error"] is JsonObject error)
        {
            throw new QmpCommandException(command, error["class"]?.GetValue<string>() ?? "?", error["desc"]?.GetValue<string>() ?? "");
        }

        return message["return"];
    }

    public HypervisorEventSubscription Subscribe()
    {
        var subscription = new HypervisorEventSubscription(s =>
        {
            lock (_subscriptionLock)
            {
                _subscriptions.Remove(s);
            }
        });
        lock (_subscriptionLock)
        {
            if (_closed)
            {
                subscription.Complete();
            }
            else
            {
                _subscriptions.Add(subscription);
            }
        }

        return subscription;
    }

    /// <summary>Which VM this monitor belongs to: <c>query-uuid</c>, <c>query-name</c>, else the QEMU process behind the socket.</summary>
    public async Task<VmIdentity> QueryIdentityAsync(CancellationToken cancellationToken)
    {
        string? uuid = null, name = null;
        try
        {
            uuid = (await ExecuteAsync("query-uuid", null, cancellationToken).ConfigureAwait(false))?["UUID"]?.GetValue<string>();
            name = (await ExecuteAsync("query-name", null, cancellationToken).ConfigureAwait(false))?["name"]?.GetValue<string>();
        }
        catch (QmpCommandException)
        {
            // An old or odd QEMU: the process identifies it.
        }

        var pid = PeerProcessId();
        return VmIdentity.From(uuid, name, pid, pid is { } p ? ProcessStart(p) : null)
            ?? throw new QmpException("this QEMU has no UUID, no name, and its process cannot be found from the QMP socket: give --state and take care that one controller acts on it at a time");
    }

    /// <summary>The QEMU process on the other end of the socket (SO_PEERCRED), or null.</summary>
    public int? PeerProcessId()
    {
        Span<byte> credentials = stackalloc byte[12]; // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        try
        {
            return _socket.GetRawSocketOption(1 /* SOL_SOCKET */, 17 /* SO_PEERCRED */, credentials) >= 4 && BitConverter.ToInt32(credentials) is > 0 and var pid ? pid : null;
        }
        catch (SocketException)
        {
            return null;
        }
    }

    /// <summary>When the process started (field 22 of <c>/proc/PID/stat</c>, in clock ticks since boot): with the pid, unique.</summary>
    private static string? ProcessStart(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields.Length > 19 ? fields[19] : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// The id of the virtio-serial port named <paramref name="portName"/> (for its <c>VSERPORT_CHANGE</c> events), or
    /// null when QEMU has no such port with an id (an anonymous port sends no such events).
    /// </summary>
    public async Task<string?> FindSerialPortIdAsync(string portName, CancellationToken cancellationToken) =>
        (await FindChildAsync("/machine/peripheral", "child<virtserialport>", "name", v => v?.GetValue<string>() == portName, cancellationToken).ConfigureAwait(false)) is { } path
            ? path[(path.LastIndexOf('/') + 1)..]
            : null;

    /// <summary>
    /// The QOM path of the DIMM in <paramref name="slot"/> that QEMU lists without an id (<c>-device pc-dimm,memdev=m1</c>),
    /// which <c>device_del</c> takes instead of an id; null when there is none.
    /// </summary>
    public Task<string?> FindAnonymousDimmPathAsync(int slot, CancellationToken cancellationToken) =>
        FindChildAsync("/machine/peripheral-anon", "child<pc-dimm>", "slot", v => v?.GetValue<int>() == slot, cancellationToken);

    /// <summary>The QOM path of the first child of <paramref name="parent"/> of type <paramref name="type"/> whose <paramref name="property"/> matches; null when none (or no QOM introspection).</summary>
    private async Task<string?> FindChildAsync(string parent, string type, string property, Func<JsonNode?, bool> matches, CancellationToken cancellationToken)
    {
        try
        {
            var children = await ExecuteAsync("qom-list", new JsonObject { ["path"] = parent }, cancellationToken).ConfigureAwait(false);
            foreach (var child in (children as JsonArray ?? []).OfType<JsonObject>())
            {
                if (child["type"]?.GetValue<string>() == type && child["name"]?.GetValue<string>() is { } name)
                {
                    var path = parent + "/" + name;
                    if (matches(await ExecuteAsync("qom-get", new JsonObject { ["path"] = path, ["property"] = property }, cancellationToken).ConfigureAwait(false)))
                    {
                        return path;
                    }
                }
            }
        }
        catch (QmpCommandException)
        {
            // No QOM introspection.
        }

        return null;
    }

    public async Task<IReadOnlyList<QmpMemoryDevice>> QueryMemoryDevicesAsync(CancellationToken cancellationToken)
    {
        var reply = await ExecuteAsync("query-memory-devices", null, cancellationToken).ConfigureAwait(false);
        return reply is JsonArray list ? list.OfType<JsonObject>().Select(QmpMemoryDevice.From).ToList() : [];
    }

    public async Task<QmpMemorySummary> QueryMemorySizeSummaryAsync(CancellationToken cancellationToken)
    {
        var reply = await ExecuteAsync("query-memory-size-summary", null, cancellationToken).ConfigureAwait(false);
        return new QmpMemorySummary(reply?["base-memory"]?.GetValue<long>() ?? 0, reply?["plugged-memory"]?.GetValue<long>() ?? 0);
    }

    /// <summary>The number of DIMM slots: <c>query-acpi-ospm-status</c> lists every memory slot the machine has. Null when QEMU cannot say.</summary>
    public async Task<int?> QueryDimmSlotCountAsync(CancellationToken cancellationToken)
    {
        try
        {
            var reply = await ExecuteAsync("query-acpi-ospm-status", null, cancellationToken).ConfigureAwait(false);
            var count = reply is JsonArray list ? list.Count(e => e?["slot-type"]?.GetValue<string>() == "DIMM") : 0;
            return count == 0 ? null : count;
        }
        catch (QmpCommandException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Dispose();
        if (_rpc is not null)
        {
            await _rpc.DisposeAsync().ConfigureAwait(false);
        }

        await _stream.DisposeAsync().ConfigureAwait(false);
    }

    private void OnEvent(JsonObject message)
    {
        var e = HypervisorEvent.From(message);
        lock (_subscriptionLock)
        {
            foreach (var subscription in _subscriptions)
            {
                subscription.Deliver(e);
            }
        }
    }

    private void OnClosed()
    {
        lock (_subscriptionLock)
        {
            _closed = true;
            foreach (var subscription in _subscriptions)
            {
                subscription.Complete();
            }
        }
    }

    private static string Shorten(string text)
    {
        var clean = new string(text.Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return clean.Length <= 80 ? clean : clean[..80] + "…";
    }
}
