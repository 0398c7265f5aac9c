using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GuestAgent.VmHarness;

/// <summary>A minimal QMP client for the tests' own checks and set-up (the product's client lives in the host controller).</summary>
public sealed class QmpTestClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly StreamReader _reader;
    private readonly NetworkStream _stream;

    private QmpTestClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
        _reader = new StreamReader(_stream, Encoding.UTF8);
    }

    public ConcurrentQueue<JsonObject> Events { get; } = new();

    public static async Task<QmpTestClient> ConnectAsync(string path)
    {
        var socket = await TestSupport.UnixSocketConnector.ConnectAsync(path);
        var client = new QmpTestClient(socket);
        _ = await client._reader.ReadLineAsync(); // greeting
        await client.ExecuteAsync("qmp_capabilities");
        return client;
    }

    public async Task<JsonNode?> ExecuteAsync(string command, object? arguments = null)
    {
        var request = new JsonObject { ["execute"] = command };
        if (arguments is not null)
        {
            request["arguments"] = JsonSerializer.SerializeToNode(arguments);
        }

        await _stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToJsonString() + "\n"));
        while (true)
        {
            var line = await _reader.ReadLineAsync() ?? throw new IOException("QMP closed");
            var message = JsonNode.Parse(line)!.AsObject();
            if (message.ContainsKey("event"))
            {
                Events.Enqueue(message);
                continue;
            }

            if (message["error"] is { } error)
            {
                throw new InvalidOperationException($"QMP {command}: {error.ToJsonString()}");
            }

            return message["return"];
        }
    }

    /// <summary>Waits for an event (already received or still to come) matching <paramref name="match"/>.</summary>
    public async Task<JsonObject> WaitForEventAsync(string name, Func<JsonObject, bool> match, TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        while (true)
        {
            var queued = Events.FirstOrDefault(e => e["event"]!.GetValue<string>() == name && match(e));
            if (queued is not null)
            {
                return queued;
            }

            var line = await _reader.ReadLineAsync(timeout.Token) ?? throw new IOException("QMP closed");
            var message = JsonNode.Parse(line)!.AsObject();
            if (message.ContainsKey("event"))
            {
                Events.Enqueue(message);
            }
        }
    }

    /// <summary>object-add of a RAM backend and device_add of a pc-dimm using it.</summary>
    public async Task PlugDimmAsync(string id, long sizeBytes)
    {
        await ExecuteAsync("object-add", new Dictionary<string, object> { ["qom-type"] = "memory-backend-ram", ["id"] = "mem-" + id, ["size"] = sizeBytes });
        await ExecuteAsync("device_add", new Dictionary<string, object> { ["driver"] = "pc-dimm", ["id"] = id, ["memdev"] = "mem-" + id });
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
