using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;

namespace GuestAgent.Host.Tests.Support;

/// <summary>
/// A scripted QMP server that keeps QEMU's memory-device bookkeeping: backends, pc-dimms in slots from 4 GiB up, the
/// event sequences measured on real QEMU 7.2 (docs: qemu-memory-hotplug-facts.md) for a successful eject
/// (<c>_OST</c> 0x84, <c>DEVICE_DELETED</c>, <c>_OST</c> 0) and a refused one (0x84, then 0x82, nothing else), and
/// its error texts. The VM tests check the same sequences on the real QEMU.
/// </summary>
public sealed class SimulatedQemu : LineServer
{
    private readonly Lock _state = new();
    private readonly Dictionary<string, long> _backends = new(StringComparer.Ordinal);
    private readonly List<JsonObject> _dimms = [];

    public SimulatedQemu(long bootMemory = 1L << 30, int slots = 8, long maxMemory = 4L << 30)
        : base("qmp.sock")
    {
        BootMemory = bootMemory;
        Slots = slots;
        MaxMemory = maxMemory;
    }

    public long BootMemory { get; }

    /// <summary>This VM's UUID (<c>-uuid</c>); <see cref="Hypervisor.VmIdentity.NullUuid"/> for a QEMU started without one.</summary>
    public string Uuid { get; set; } = Guid.NewGuid().ToString();

    /// <summary>The agent's virtio-serial port: its QOM id, and the name the guest sees.</summary>
    public (string Id, string Name)? AgentPort { get; set; } = ("agent0", "org.guestagent.memory.0");

    public int Slots { get; }

    public long MaxMemory { get; }

    /// <summary>What the guest does on device_del: <c>eject</c>, <c>refuse</c> (0x82), <c>ignore</c> (no answer), or <c>die</c> (QEMU is killed once it has answered).</summary>
    public string EjectBehaviour { get; set; } = "eject";

    /// <summary>A guest behind this QEMU (see <c>SimulatedGuest</c>): told of each DIMM plugged (slot, address, size).</summary>
    public Action<int, long, long>? DimmAdded { get; set; }

    /// <summary>A guest behind this QEMU: asked on device_del whether it lets the DIMM in the slot go (and then removes it); overrides <see cref="EjectBehaviour"/>.</summary>
    public Func<int, bool>? GuestEjects { get; set; }

    /// <summary>What <c>query-migrate</c> says (<c>active</c>, <c>completed</c>, …); null: never migrated (QEMU then returns <c>{}</c>).</summary>
    public string? MigrationStatus { get; set; }

    /// <summary>
    /// The run state <c>query-status</c> reports: <c>running</c>, <c>postmigrate</c> (a source left behind),
    /// <c>inmigrate</c> (a destination started with <c>-incoming</c>, waiting or receiving), <c>paused</c>.
    /// </summary>
    public string RunState { get; set; } = "running";

    /// <summary>Sets the run state and the migration status together, as QEMU changes them (a poll never sees one without the other).</summary>
    public void SetMigration(string runState, string? status)
    {
        lock (_state)
        {
            (RunState, MigrationStatus) = (runState, status);
        }
    }

    /// <summary>Where <c>migrate</c> sends this VM: the destination's simulation (started with <c>-incoming</c>); null: the URI leads nowhere.</summary>
    public SimulatedQemu? Destination { get; set; }

    /// <summary>How many <c>query-migrate</c> answers say <c>active</c> before a migration completes (no clock: the caller's polls drive it).</summary>
    public int MigrationPolls { get; set; } = 2;

    /// <summary>When set, a migration fails with this description instead of completing (the source keeps running).</summary>
    public string? MigrationFails { get; set; }

    /// <summary>The URIs <c>migrate</c> was given, in order.</summary>
    public ConcurrentQueue<string> MigrateUris { get; } = new();

    private int _migrationPollsLeft;

    /// <summary>Backend id → its QOM type where it is not memory-backend-ram.</summary>
    public Dictionary<string, string> BackendTypes { get; } = new(StringComparer.Ordinal);

    /// <summary>A virtio-mem device of this VM (<c>-device virtio-mem-pci,id=vm0,...</c>), or none.</summary>
    public SimulatedVirtioMem? VirtioMem { get; set; }

    /// <summary>The guest's driver: given the new requested size, returns the size it reached (default: all of it at once).</summary>
    public Func<long, long>? VirtioMemDriver { get; set; }

    /// <summary>The greeting line; anything but QEMU's makes a "not QMP" peer.</summary>
    public string Greeting { get; set; } = """{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": "Debian"}, "capabilities": ["oob"]}}""";

    public ConcurrentQueue<string> Commands { get; } = new();

    private readonly ConcurrentQueue<(string Command, TaskCompletionSource Seen)> _awaited = new();

    /// <summary>Completes once QEMU has answered <paramref name="command"/> (from now on, or already): what a test waits on instead of polling.</summary>
    public Task Answered(string command)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _awaited.Enqueue((command, seen));
        if (CommandNames.Contains(command))
        {
            seen.TrySetResult();
        }

        return seen.Task;
    }

    public IReadOnlyList<string> CommandNames => Commands.Select(c => JsonNode.Parse(c)!["execute"]!.GetValue<string>()).ToList();

    public IReadOnlyList<string> DeviceIds
    {
        get
        {
            lock (_state)
            {
                return _dimms.Select(d => d["id"]?.GetValue<string>() ?? "(no id)").ToList();
            }
        }
    }

    public IReadOnlyCollection<string> BackendIds
    {
        get
        {
            lock (_state)
            {
                return _backends.Keys.ToList();
            }
        }
    }

    public List<(string Id, int Slot, long Addr, long Size)> Dimms
    {
        get
        {
            lock (_state)
            {
                return _dimms.Select(d => (d["id"]?.GetValue<string>() ?? "(no id)", d["slot"]!.GetValue<int>(), d["addr"]!.GetValue<long>(), d["size"]!.GetValue<long>())).ToList();
            }
        }
    }

    public long Plugged
    {
        get
        {
            lock (_state)
            {
                return _dimms.Sum(d => d["size"]!.GetValue<long>());
            }
        }
    }

    /// <summary>Plugs a DIMM directly, as someone else (libvirt, a person) would; a null id is a DIMM without one (<c>-device pc-dimm,memdev=m1</c>).</summary>
    public void AddDimm(string? id, string backend, long size, bool hotplugged = true)
    {
        lock (_state)
        {
            _backends[backend] = size;
            Place(id, backend, size, 0, hotplugged);
        }
    }

    /// <summary>Removes a DIMM as a completed eject does while nobody listens (its backend stays, as QEMU's does).</summary>
    public void RemoveDimm(string id)
    {
        lock (_state)
        {
            _dimms.RemoveAll(d => d["id"]?.GetValue<string>() == id);
        }
    }

    /// <summary>The guest closed (or opened) the agent's port, as QEMU reports it.</summary>
    public Task SendPortChangeAsync(bool open) =>
        SendEventAsync("VSERPORT_CHANGE", new JsonObject { ["id"] = AgentPort!.Value.Id, ["open"] = open });

    protected override Task OnConnectedAsync() => SendAsync(Greeting);

    protected override async Task OnLineAsync(string line)
    {
        Commands.Enqueue(line);
        JsonObject request;
        try
        {
            request = JsonNode.Parse(line)!.AsObject();
        }
        catch (System.Text.Json.JsonException)
        {
            await SendAsync("""{"error": {"class": "GenericError", "desc": "JSON parse error"}}""");
            return;
        }

        var id = request["id"]?.DeepClone();
        var arguments = request["arguments"] as JsonObject ?? [];
        var (result, error, after) = Execute(request["execute"]!.GetValue<string>(), arguments);
        var reply = error is null
            ? new JsonObject { ["return"] = result ?? new JsonObject(), ["id"] = id }
            : new JsonObject { ["error"] = new JsonObject { ["class"] = error.Value.Class, ["desc"] = error.Value.Desc }, ["id"] = id };
        await SendAsync(reply.ToJsonString());
        foreach (var e in after)
        {
            await Task.Delay(5);
            await SendEventAsync(e.Name, e.Data);
        }

        if (EjectBehaviour == "die" && request["execute"]!.GetValue<string>() == "device_del")
        {
            Kill();
        }

        foreach (var (command, seen) in _awaited)
        {
            if (command == request["execute"]!.GetValue<string>())
            {
                seen.TrySetResult();
            }
        }
    }

    public Task SendEventAsync(string name, JsonObject data)
    {
        var now = DateTimeOffset.UtcNow;
        var e = new JsonObject
        {
            ["event"] = name, ["data"] = data,
            ["timestamp"] = new JsonObject { ["seconds"] = now.ToUnixTimeSeconds(), ["microseconds"] = now.Millisecond * 1000 },
        };
        return SendAsync(e.ToJsonString());
    }

    private (JsonNode? Result, (string Class, string Desc)? Error, List<(string Name, JsonObject Data)> After) Execute(string command, JsonObject arguments)
    {
        List<(string, JsonObject)> after = [];
        lock (_state)
        {
            switch (command)
            {
                case "qmp_capabilities":
                    return (null, null, after);
                case "query-memory-devices":
                    return (new JsonArray(_dimms.Select(d => (JsonNode)new JsonObject { ["type"] = "dimm", ["data"] = Listed(d) })
                        .Concat(VirtioMem is { } listed ? [listed.Listed()] : []).ToArray()), null, after);
                case "qom-set" when VirtioMem is { } vmem && arguments["path"]?.GetValue<string>() == vmem.Id && arguments["property"]?.GetValue<string>() == "requested-size":
                {
                    var requested = arguments["value"]!.GetValue<long>();
                    if (requested % vmem.BlockSize != 0 || requested > vmem.MaxSize || requested < 0)
                    {
                        return (null, ("GenericError", $"'requested-size' property has to be multiples of '{vmem.BlockSize}' and at most '{vmem.MaxSize}'"), after);
                    }

                    vmem.RequestedSize = requested;
                    vmem.Size = VirtioMemDriver?.Invoke(requested) ?? requested;
                    after.Add(("MEMORY_DEVICE_SIZE_CHANGE", new JsonObject { ["id"] = vmem.Id, ["size"] = vmem.Size, ["qom-path"] = "/machine/peripheral/" + vmem.Id }));
                    return (null, null, after);
                }

                case "query-status":
                    return (new JsonObject { ["status"] = RunState, ["running"] = RunState == "running", ["singlestep"] = false }, null, after);
                case "query-migrate":
                    return (QueryMigrate(after), null, after);
                case "migrate-set-capabilities":
                    return (null, null, after);
                case "migrate" when RunState != "running" || MigrationStatus is "setup" or "active":
                    return (null, ("GenericError", "There's a migration process in progress"), after);
                case "migrate":
                    MigrateUris.Enqueue(arguments["uri"]!.GetValue<string>());
                    if (Destination is null)
                    {
                        MigrationStatus = "failed";
                        return (null, null, after); // QEMU accepts the command; the failure shows in query-migrate
                    }

                    MigrationStatus = "active";
                    _migrationPollsLeft = MigrationPolls;
                    Destination.MigrationStatus = "active";
                    return (null, null, after);
                case "migrate_cancel":
                    if (MigrationStatus is "active" or "setup")
                    {
                        MigrationStatus = "cancelled";
                        if (Destination is { } cancelled)
                        {
                            cancelled.MigrationStatus = "failed";
                            cancelled.RunState = "inmigrate";
                        }
                    }

                    return (null, null, after);
                case "query-uuid":
                    return (new JsonObject { ["UUID"] = Uuid }, null, after);
                case "query-name":
                    return (new JsonObject(), null, after);
                case "qom-list":
                {
                    var path = arguments["path"]!.GetValue<string>();
                    var children = path switch
                    {
                        "/machine/peripheral" => _dimms.Where(d => !IsAnonymous(d)).Select(d => (d["id"]!.GetValue<string>(), "child<pc-dimm>"))
                            .Concat(AgentPort is { } port ? [(port.Id, "child<virtserialport>")] : []),
                        "/machine/peripheral-anon" => _dimms.Where(IsAnonymous).Select(d => (d["qom"]!.GetValue<string>()[(d["qom"]!.GetValue<string>().LastIndexOf('/') + 1)..], "child<pc-dimm>")),
                        _ => [],
                    };
                    return (new JsonArray(children.Select(c => (JsonNode)new JsonObject { ["name"] = c.Item1, ["type"] = c.Item2 }).ToArray()), null, after);
                }

                case "qom-get":
                {
                    var path = arguments["path"]!.GetValue<string>();
                    var property = arguments["property"]!.GetValue<string>();
                    if (AgentPort is { } port && path == "/machine/peripheral/" + port.Id && property == "name")
                    {
                        return (JsonValue.Create(port.Name), null, after);
                    }

                    if (path.StartsWith("/objects/", StringComparison.Ordinal) && _backends.ContainsKey(path["/objects/".Length..]) && property == "type")
                    {
                        return (JsonValue.Create(BackendTypes.GetValueOrDefault(path["/objects/".Length..], "memory-backend-ram")), null, after);
                    }

                    var dimm = _dimms.FirstOrDefault(d => d["qom"]!.GetValue<string>() == path);
                    return dimm is not null && property == "slot"
                        ? (JsonValue.Create(dimm["slot"]!.GetValue<int>()), null, after)
                        : (null, ("GenericError", $"Property '{property}' not found"), after);
                }

                case "query-memory-size-summary":
                    return (new JsonObject { ["base-memory"] = BootMemory, ["plugged-memory"] = _dimms.Sum(d => d["size"]!.GetValue<long>()) + (VirtioMem?.Size ?? 0) }, null, after);
                case "query-acpi-ospm-status":
                    return (new JsonArray(Enumerable.Range(0, Slots).Select(s => (JsonNode)new JsonObject
                    {
                        ["slot"] = s.ToString(CultureInfo.InvariantCulture), ["slot-type"] = "DIMM", ["source"] = 0, ["status"] = 0,
                    }).ToArray()), null, after);
                case "object-add":
                {
                    var backend = arguments["id"]!.GetValue<string>();
                    if (_backends.ContainsKey(backend))
                    {
                        return (null, ("GenericError", $"attempt to add duplicate property '{backend}' to object (type 'container')"), after);
                    }

                    _backends[backend] = arguments["size"]!.GetValue<long>();
                    return (null, null, after);
                }

                case "device_add":
                {
                    var id = arguments["id"]!.GetValue<string>();
                    var backend = arguments["memdev"]!.GetValue<string>();
                    if (_dimms.Any(d => d["id"]?.GetValue<string>() == id))
                    {
                        return (null, ("GenericError", $"Duplicate device ID '{id}'"), after);
                    }

                    if (_dimms.Any(d => d["memdev"]!.GetValue<string>() == "/objects/" + backend))
                    {
                        return (null, ("GenericError", $"can't use already busy memdev: {backend}"), after);
                    }

                    if (_dimms.Count >= Slots)
                    {
                        return (null, ("GenericError", "no free slots available"), after);
                    }

                    var size = _backends[backend];
                    var used = _dimms.Sum(d => d["size"]!.GetValue<long>());
                    if (BootMemory + used + size > MaxMemory)
                    {
                        return (null, ("GenericError", $"not enough space, currently 0x{used:x} in use of total space for memory devices 0x{MaxMemory - BootMemory:x}"), after);
                    }

                    var node = arguments["node"]?.GetValue<int>() ?? 0;
                    if (node != 0)
                    {
                        return (null, ("GenericError", $"'node' property value {node} exceeds the number of numa nodes 1"), after);
                    }

                    var slot = Place(id, backend, size, node, true);
                    after.Add(("ACPI_DEVICE_OST", Ost(id, slot, 1, 0)));
                    DimmAdded?.Invoke(slot, _dimms.Single(d => d["id"]?.GetValue<string>() == id)["addr"]!.GetValue<long>(), size);
                    return (null, null, after);
                }

                case "device_del":
                {
                    var id = arguments["id"]!.GetValue<string>();
                    var dimm = _dimms.FirstOrDefault(d => d["id"]?.GetValue<string>() == id || d["qom"]!.GetValue<string>() == id);
                    if (dimm is null)
                    {
                        return (null, ("DeviceNotFound", $"Device '{id}' not found"), after);
                    }

                    var slot = dimm["slot"]!.GetValue<int>();
                    var deviceId = IsAnonymous(dimm) ? null : dimm["id"]!.GetValue<string>();
                    after.Add(("ACPI_DEVICE_OST", Ost(deviceId, slot, 3, 0x84)));
                    var behaviour = GuestEjects is { } guest ? (guest(slot) ? "eject" : "refuse") : EjectBehaviour;
                    if (behaviour == "eject")
                    {
                        _dimms.Remove(dimm);
                        var deleted = new JsonObject();
                        if (deviceId is not null)
                        {
                            deleted["device"] = deviceId;
                        }

                        deleted["path"] = dimm["qom"]!.GetValue<string>();
                        after.Add(("DEVICE_DELETED", deleted));
                        after.Add(("ACPI_DEVICE_OST", Ost(null, slot, 3, 0)));
                    }
                    else if (behaviour == "refuse")
                    {
                        after.Add(("ACPI_DEVICE_OST", Ost(deviceId, slot, 3, 0x82)));
                    }

                    return (null, null, after);
                }

                case "object-del":
                {
                    var backend = arguments["id"]!.GetValue<string>();
                    if (!_backends.ContainsKey(backend))
                    {
                        return (null, ("GenericError", $"object '{backend}' not found"), after);
                    }

                    if (_dimms.Any(d => d["memdev"]!.GetValue<string>() == "/objects/" + backend))
                    {
                        return (null, ("GenericError", $"object '{backend}' is in use, can not be deleted"), after);
                    }

                    _backends.Remove(backend);
                    return (null, null, after);
                }

                default:
                    return (null, ("CommandNotFound", $"The command {command} has not been found"), after);
            }
        }
    }

    /// <summary>
    /// <c>query-migrate</c> as QEMU 7.2 answers it: nothing before a migration; <c>active</c> with RAM figures while
    /// it runs (each answer brings it closer); then <c>completed</c> with its times (the source's run state becomes
    /// <c>postmigrate</c>, the destination runs and says <c>completed</c> too), or <c>failed</c> with why.
    /// </summary>
    private JsonObject QueryMigrate(List<(string Name, JsonObject Data)> after)
    {
        if (MigrationStatus == "active" && Destination is { } destination && _migrationPollsLeft-- <= 0)
        {
            if (MigrationFails is { } why)
            {
                MigrationStatus = "failed";
                destination.MigrationStatus = "failed";
                return new JsonObject { ["status"] = "failed", ["error-desc"] = why };
            }

            MigrationStatus = "completed";
            RunState = "postmigrate";
            destination.MigrationStatus = "completed";
            destination.RunState = "running";
            after.Add(("STOP", new JsonObject()));
        }

        return MigrationStatus switch
        {
            null => new JsonObject(),
            "active" => new JsonObject
            {
                ["status"] = "active", ["total-time"] = 1000, ["expected-downtime"] = 300, ["setup-time"] = 20,
                ["ram"] = new JsonObject { ["total"] = BootMemory + Plugged, ["transferred"] = 100L << 20, ["remaining"] = 200L << 20, ["mbps"] = 800.0 },
            },
            "completed" => new JsonObject
            {
                ["status"] = "completed", ["total-time"] = 4300, ["downtime"] = 14, ["setup-time"] = 21,
                ["ram"] = new JsonObject { ["total"] = BootMemory + Plugged, ["transferred"] = 306L << 20, ["remaining"] = 0, ["mbps"] = 187.0 },
            },
            var other => new JsonObject { ["status"] = other },
        };
    }

    private static bool IsAnonymous(JsonObject dimm) => dimm["id"] is null;

    /// <summary>What query-memory-devices shows: QEMU's fields ("id": null for a DIMM without one), not the simulation's own.</summary>
    private static JsonObject Listed(JsonObject dimm)
    {
        var listed = (JsonObject)dimm.DeepClone();
        listed.Remove("qom");
        if (IsAnonymous(dimm))
        {
            listed["id"] = null;
        }

        return listed;
    }

    private int _anonymous;

    private int Place(string? id, string backend, long size, int node, bool hotplugged)
    {
        var slot = Enumerable.Range(0, Slots).First(s => _dimms.All(d => d["slot"]!.GetValue<int>() != s));
        var addr = 4L << 30;
        foreach (var d in _dimms.OrderBy(d => d["addr"]!.GetValue<long>()))
        {
            var start = d["addr"]!.GetValue<long>();
            if (addr + size <= start)
            {
                break;
            }

            addr = Math.Max(addr, start + d["size"]!.GetValue<long>());
        }

        var dimm = new JsonObject
        {
            ["memdev"] = "/objects/" + backend, ["addr"] = addr, ["size"] = size, ["slot"] = slot, ["node"] = node,
            ["hotplugged"] = hotplugged, ["hotpluggable"] = true,
            ["qom"] = id is null ? $"/machine/peripheral-anon/device[{_anonymous++}]" : "/machine/peripheral/" + id,
        };
        if (id is not null)
        {
            dimm["id"] = id;
        }

        _dimms.Add(dimm);
        return slot;
    }

    private static JsonObject Ost(string? device, int slot, int source, int status)
    {
        var info = new JsonObject();
        if (device is not null)
        {
            info["device"] = device;
        }

        info["slot"] = slot.ToString(CultureInfo.InvariantCulture);
        info["slot-type"] = "DIMM";
        info["source"] = source;
        info["status"] = status;
        return new JsonObject { ["info"] = info };
    }
}
