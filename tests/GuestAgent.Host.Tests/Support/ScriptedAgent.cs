using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GuestAgent.Protocol;
using GuestAgent.Protocol.Model;
using GuestAgent.Protocol.Payloads;

namespace GuestAgent.Host.Tests.Support;

/// <summary>
/// A scripted guest agent speaking docs/protocol.md on a unix socket, its model derived from a <see cref="SimulatedQemu"/>
/// (every DIMM onlined Movable and ready unless told otherwise). The real agent is driven by the VM tests.
/// </summary>
public sealed class ScriptedAgent(SimulatedQemu qemu) : LineServer("agent.sock")
{
    public const long BlockSize = 128L << 20;

    /// <summary>Per slot: a readiness other than ready, with its reason.</summary>
    public ConcurrentDictionary<int, (string Readiness, string Reason)> NotReady { get; } = new();

    /// <summary>Per slot: what blocks it (<c>capacity</c>, <c>kernel-zone</c>…), sent as the DIMM's <c>blocker</c>.</summary>
    public ConcurrentDictionary<int, string> Blockers { get; } = new();

    /// <summary>The guest's MemAvailable and reserve (the model's <c>capacity</c>); null: an agent without the capacity check.</summary>
    public (long Available, long Reserve)? Capacity { get; set; } = (3L << 30, 128L << 20);

    /// <summary>The model's plug budget in bytes (null: no limit seen).</summary>
    public long? PlugBudget { get; set; }

    /// <summary>Whether hello lists <c>force-prepare</c> (a newer agent).</summary>
    public bool TakesForce { get; set; } = true;

    /// <summary>The <c>force</c> argument of each prepare-unplug, in order.</summary>
    public ConcurrentQueue<bool> PrepareForces { get; } = new();

    /// <summary>Slots currently offlined by prepare-unplug.</summary>
    public ConcurrentDictionary<int, bool> Prepared { get; } = new();

    /// <summary>null: prepare succeeds; otherwise the errno it fails with.</summary>
    public string? PrepareFailsWith { get; set; }

    /// <summary>
    /// How many connections, from the first, get nothing of what the agent writes: QEMU holds a virtio-serial port's
    /// guest output once the guest wrote while no host was connected (after a pause the guest can miss that the host
    /// left), and only the host side closing clears it (measured on QEMU 7.2, issue 25). The agent still answers.
    /// </summary>
    public int MutedConnections { get; set; }

    /// <summary>Never answer prepare-unplug (an agent that died in the middle of it).</summary>
    public bool SilentDuringPrepare { get; set; }

    /// <summary>Say AGENT_STOPPING instead of answering prepare-unplug.</summary>
    public bool StopsDuringPrepare { get; set; }

    /// <summary>Instead of answering prepare-unplug, announce a new agent process (AGENT_READY with uptime 0), as a restarted agent does over virtio-serial.</summary>
    public bool RestartsDuringPrepare { get; set; }

    /// <summary><c>answer</c>, <c>silent</c> (never replies) or <c>junk</c> (replies with garbage).</summary>
    public string Mode { get; set; } = "answer";

    /// <summary>Whether hello lists <c>make-movable</c> (an older agent does not).</summary>
    public bool MakesMovable { get; set; } = true;

    /// <summary>Slots <c>make-movable</c> was asked for, with its <c>force</c>.</summary>
    public ConcurrentQueue<(int Slot, bool Force)> MadeMovable { get; } = new();

    /// <summary>When set, <c>make-movable</c> fails with this description (OperationFailed, EBUSY).</summary>
    public string? MakeMovableFailsWith { get; set; }

    public ConcurrentQueue<string> Requests { get; } = new();

    private readonly ConcurrentQueue<(string Command, TaskCompletionSource Seen)> _awaited = new();

    /// <summary>Completes once a request of <paramref name="command"/> has arrived (from now on, or already).</summary>
    public Task Received(string command)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _awaited.Enqueue((command, seen));
        if (RequestNames.Contains(command))
        {
            seen.TrySetResult();
        }

        return seen.Task;
    }

    public IReadOnlyList<string> RequestNames => Requests.Select(r => JsonNode.Parse(r)!["execute"]!.GetValue<string>()).ToList();

    protected override Task OnConnectedAsync() => Task.CompletedTask;

    protected override async Task OnLineAsync(string line)
    {
        Requests.Enqueue(line);
        foreach (var (awaited, seen) in _awaited)
        {
            if (line.Contains($"\"{awaited}\"", StringComparison.Ordinal))
            {
                seen.TrySetResult();
            }
        }

        if (Mode == "silent" || Connections <= MutedConnections)
        {
            return;
        }

        if (Mode == "junk")
        {
            await SendAsync("\u0001\u0002 not json at all {{{");
            return;
        }

        var request = JsonNode.Parse(line)!.AsObject();
        var id = request["id"]?.DeepClone();
        var command = request["execute"]!.GetValue<string>();
        var slot = request["arguments"]?["slot"]?.GetValue<int>() ?? -1;
        switch (command)
        {
            case "hello":
                await EventAsync("AGENT_READY", JsonSerializer.SerializeToNode(new AgentReadyData { Agent = Hello(), Model = Model(), UptimeSeconds = 5 }, ProtocolJsonContext.Default.AgentReadyData)!);
                await ReplyAsync(id, JsonSerializer.SerializeToNode(Hello(), ProtocolJsonContext.Default.HelloReturn));
                break;
            case "get-model":
                await ReplyAsync(id, JsonSerializer.SerializeToNode(Model(), ProtocolJsonContext.Default.ModelReport));
                break;
            case "prepare-unplug" when RestartsDuringPrepare:
                await EventAsync("AGENT_READY", JsonSerializer.SerializeToNode(new AgentReadyData { Agent = Hello(), Model = Model(), UptimeSeconds = 0 }, ProtocolJsonContext.Default.AgentReadyData)!);
                break;
            case "prepare-unplug" when SilentDuringPrepare:
                break;
            case "prepare-unplug" when StopsDuringPrepare:
                await EventAsync("AGENT_STOPPING", new JsonObject { ["reason"] = "stopping" });
                break;
            case "prepare-unplug" when RefusesForCapacity(slot, request):
                PrepareForces.Enqueue(false);
                await SendAsync(new JsonObject { ["error"] = new JsonObject { ["class"] = "InsufficientMemory", ["desc"] = $"slot{slot} holds ~200 MiB; free about 100 MiB in the guest first; a forced prepare skips this check" }, ["id"] = id }.ToJsonString());
                break;
            case "prepare-unplug" when PrepareFailsWith is { } errno:
                await SendAsync(new JsonObject { ["error"] = new JsonObject { ["class"] = "OperationFailed", ["desc"] = "memory33: Device or resource busy", ["errno"] = errno }, ["id"] = id }.ToJsonString());
                break;
            case "prepare-unplug" or "cancel-unplug":
                if (command == "prepare-unplug")
                {
                    PrepareForces.Enqueue(request["arguments"]?["force"]?.GetValue<bool>() == true);
                    Prepared[slot] = true;
                }
                else
                {
                    Prepared.TryRemove(slot, out _);
                }

                var result = new OperationReturn
                {
                    Dimm = $"slot{slot}", Operation = command, Ok = true, Message = "ok", Blocks = [], Readiness = "ready",
                };
                await ReplyAsync(id, JsonSerializer.SerializeToNode(result, ProtocolJsonContext.Default.OperationReturn));
                break;
            case "make-movable" when MakeMovableFailsWith is { } why:
                await SendAsync(new JsonObject { ["error"] = new JsonObject { ["class"] = "OperationFailed", ["desc"] = why, ["errno"] = "EBUSY" }, ["id"] = id }.ToJsonString());
                break;
            case "make-movable":
                MadeMovable.Enqueue((slot, request["arguments"]?["force"]?.GetValue<bool>() == true));
                NotReady.TryRemove(slot, out _);
                Blockers.TryRemove(slot, out _);
                await ReplyAsync(id, JsonSerializer.SerializeToNode(
                    new OperationReturn { Dimm = $"slot{slot}", Operation = command, Ok = true, Message = "every block is online in Movable", Blocks = [], Readiness = "ready" },
                    ProtocolJsonContext.Default.OperationReturn));
                break;
            default:
                await SendAsync(new JsonObject { ["error"] = new JsonObject { ["class"] = "UnknownCommand", ["desc"] = command }, ["id"] = id }.ToJsonString());
                break;
        }
    }

    private bool RefusesForCapacity(int slot, JsonObject request) =>
        Blockers.TryGetValue(slot, out var blocker) && blocker == "capacity" && request["arguments"]?["force"]?.GetValue<bool>() != true;

    private HelloReturn Hello() => new()
    {
        Protocol = 1, Agent = "guest-agent", Version = "0.1.0", Capabilities = [.. TakesForce ? new[] { "events", "capacity", "force-prepare" } : ["events"], .. MakesMovable ? new[] { "make-movable" } : []], BlockSize = BlockSize, Policy = "movable",
    };

    private ModelReport Model()
    {
        var dimms = new List<DimmReport>();
        foreach (var (_, slot, addr, size) in qemu.Dimms)
        {
            var prepared = Prepared.ContainsKey(slot);
            var (readiness, reason) = NotReady.TryGetValue(slot, out var r) ? r : ("ready", prepared ? "every block is offline" : "every block is in ZONE_MOVABLE");
            dimms.Add(new DimmReport
            {
                Id = $"slot{slot}", Kind = "acpi", Slot = slot, AcpiDevice = $"PNP0C80:{slot:x2}", Start = addr, Size = size, Node = 0,
                Blocks = Enumerable.Range(0, (int)(size / BlockSize)).Select(i => "memory" + ((addr / BlockSize) + i).ToString(CultureInfo.InvariantCulture)).ToList(),
                State = prepared ? "offline" : "online", Zones = prepared ? [] : [readiness == "ready" ? "Movable" : "Normal"],
                Removable = true, Readiness = readiness, Reason = reason,
                Blocker = Blockers.TryGetValue(slot, out var blocker) ? blocker : null,
                OnlineBytes = Capacity is null ? null : prepared ? 0 : size,
            });
        }

        return new ModelReport
        {
            SysfsRoot = "/sys", BlockSize = BlockSize, Policy = "movable",
            Blocks = new BlockSummary { Total = 8, Online = 8, Offline = 0, MovableBytes = 0, KernelBytes = 1L << 30, OfflineBytes = 0 },
            Dimms = dimms,
            Capacity = Capacity is { } c ? new CapacityReport { Available = c.Available, Reserve = c.Reserve, Headroom = Math.Max(0, c.Available - c.Reserve) } : null,
            PlugBudget = Capacity is null ? null : new PlugBudgetReport { Bytes = PlugBudget, Reason = "Movable memory may grow to 301% of the 1 GiB of kernel-zone memory on the guest" },
        };
    }

    private Task ReplyAsync(JsonNode? id, JsonNode? value) => SendAsync(new JsonObject { ["return"] = value, ["id"] = id }.ToJsonString());

    private Task EventAsync(string name, JsonNode data) => SendAsync(new JsonObject
    {
        ["event"] = name, ["data"] = data, ["timestamp"] = new JsonObject { ["seconds"] = 0, ["microseconds"] = 0 },
    }.ToJsonString());
}
