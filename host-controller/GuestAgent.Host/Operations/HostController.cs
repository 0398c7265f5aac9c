using System.Diagnostics;
using System.Text.Json.Nodes;
using GuestAgent.Host.Agent;
using GuestAgent.Host.Planning;
using GuestAgent.Host.Qmp;
using GuestAgent.Protocol.Sizes;
using GuestAgent.Host.State;
using GuestAgent.Protocol.Client;
using GuestAgent.Protocol.Model;

namespace GuestAgent.Host.Operations;

/// <summary>
/// One VM's controller for the length of a command: holds the lock, QMP, the agent (when it answers) and the state
/// file; reconciles the state file with QEMU first; then plugs, unplugs or resizes. Every step that changes QEMU is
/// recorded in the state file before it is taken, so a controller that dies at any point is finished or rolled back
/// by the next one.
/// </summary>
public sealed class HostController : IAsyncDisposable
{
    private readonly HostOptions _options;
    private readonly StateLock _lock;
    private readonly StateStore _store;
    private readonly QmpClient _qmp;
    private readonly TextWriter _out;
    private readonly TimeProvider _time;

    private HostController(HostOptions options, StateLock stateLock, StateStore store, ControllerState state, QmpClient qmp, AgentLink? agent, string? agentProblem, TextWriter output, TimeProvider time)
    {
        _options = options;
        _lock = stateLock;
        _store = store;
        State = state;
        _qmp = qmp;
        Agent = agent;
        AgentProblem = agentProblem;
        _out = output;
        _time = time;
    }

    public ControllerState State { get; }

    public AgentLink? Agent { get; }

    /// <summary>Why there is no agent, when there is none.</summary>
    public string? AgentProblem { get; }

    /// <summary>Takes the lock, loads the state, connects to QEMU and (if configured) the agent, and reconciles.</summary>
    public static async Task<HostController> OpenAsync(HostOptions options, TextWriter output, CancellationToken cancellationToken, TimeProvider? time = null)
    {
        var store = new StateStore(options.EffectiveStatePath);
        var stateLock = StateLock.Acquire(store.Path);
        QmpClient? qmp = null;
        AgentLink? agent = null;
        try
        {
            var state = store.Load();
            qmp = await QmpClient.ConnectAsync(options.QmpPath, options.QmpTimeout, cancellationToken).ConfigureAwait(false);
            string? problem = null;
            if (options.AgentPath is null)
            {
                problem = "no --agent channel given";
            }
            else
            {
                try
                {
                    agent = await AgentLink.ConnectAsync(options.AgentPath, options.AgentTimeout, cancellationToken).ConfigureAwait(false);
                    state.GuestBlockSize = agent.Hello.BlockSize > 0 ? agent.Hello.BlockSize : state.GuestBlockSize;
                }
                catch (AgentUnavailableException e)
                {
                    problem = e.Message;
                }
            }

            var controller = new HostController(options, stateLock, store, state, qmp, agent, problem, output, time ?? TimeProvider.System);
            await controller.ReconcileAsync(cancellationToken).ConfigureAwait(false);
            return controller;
        }
        catch
        {
            if (agent is not null)
            {
                await agent.DisposeAsync().ConfigureAwait(false);
            }

            if (qmp is not null)
            {
                await qmp.DisposeAsync().ConfigureAwait(false);
            }

            stateLock.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Brings the state file in line with QEMU: DIMMs gone from QEMU are finished (backend removed); a plug cut short
    /// is completed or undone; an unplug cut short waits out its time limit and otherwise is rolled back (the guest
    /// onlines the DIMM again); DIMMs plugged by someone else are adopted.
    /// </summary>
    public async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        var devices = await _qmp.QueryMemoryDevicesAsync(cancellationToken).ConfigureAwait(false);
        foreach (var record in State.Dimms.ToList())
        {
            var device = devices.FirstOrDefault(d => d.Id == record.Id);
            if (device is null && record.Operation == DimmOperation.Deleting)
            {
                Say($"{record.Id}: its unplug finished while no controller was watching");
            }

            if (device is null)
            {
                if (await RemoveBackendAsync(record.Backend, cancellationToken).ConfigureAwait(false))
                {
                    if (record.Operation is not DimmOperation.None and not DimmOperation.Deleting and not DimmOperation.RemovingBackend)
                    {
                        Say($"{record.Id}: an interrupted {Describe(record.Operation)} was undone (backend {record.Backend} removed)");
                    }

                    State.Dimms.Remove(record);
                }
                else
                {
                    record.Begin(DimmOperation.RemovingBackend, _time.GetUtcNow());
                    Say($"{record.Id}: QEMU no longer has it but its backend {record.Backend} is still in use; will retry");
                }

                continue;
            }

            record.Slot = device.Slot;
            record.Addr = device.Addr;
            switch (record.Operation)
            {
                case DimmOperation.AddingBackend or DimmOperation.AddingDevice:
                    record.Finish();
                    Say($"{record.Id}: an interrupted plug had completed in QEMU");
                    break;
                case DimmOperation.Preparing or DimmOperation.Deleting:
                    await RecoverInterruptedUnplugAsync(record, cancellationToken).ConfigureAwait(false);
                    break;
            }
        }

        foreach (var device in devices.Where(d => d.UsesSlot && d.Id is not null && State.Find(d.Id) is null))
        {
            State.Dimms.Add(new DimmRecord
            {
                Id = device.Id!, Backend = device.BackendId ?? "", Size = device.Size, Node = device.Node, Slot = device.Slot, Addr = device.Addr,
                Adopted = true, Created = _time.GetUtcNow(),
            });
        }

        Save();
    }

    private async Task RecoverInterruptedUnplugAsync(DimmRecord record, CancellationToken cancellationToken)
    {
        if (record.Operation == DimmOperation.Deleting && record.OperationStarted is { } started)
        {
            var left = started + _options.UnplugTimeout - _time.GetUtcNow();
            if (left > TimeSpan.Zero)
            {
                using var events = _qmp.Subscribe();
                if ((await _qmp.QueryMemoryDevicesAsync(cancellationToken).ConfigureAwait(false)).All(d => d.Id != record.Id)
                    || await events.WaitAsync(e => e.Name == "DEVICE_DELETED" && e.Data["device"]?.GetValue<string>() == record.Id, left, cancellationToken).ConfigureAwait(false) is not null)
                {
                    Say($"{record.Id}: the interrupted unplug finished");
                    await RemoveBackendAsync(record.Backend, cancellationToken).ConfigureAwait(false);
                    State.Dimms.Remove(record);
                    return;
                }
            }
        }

        if (Agent is null)
        {
            Say($"{record.Id}: an interrupted unplug needs the guest agent to online the DIMM again ({AgentProblem}); will retry");
            return;
        }

        if (record.Slot is { } slot)
        {
            await CancelInGuestAsync(slot, cancellationToken).ConfigureAwait(false);
        }

        record.Finish();
        Say($"{record.Id}: an interrupted unplug was rolled back; the DIMM stays");
    }

    public async Task<StatusReport> StatusAsync(CancellationToken cancellationToken)
    {
        var (layout, limits, devices) = await ReadLayoutAsync(cancellationToken).ConfigureAwait(false);
        ModelReport? model = null;
        if (Agent is not null)
        {
            model = await Agent.RefreshModelAsync(_options.AgentTimeout, cancellationToken).ConfigureAwait(false);
        }

        var rows = new List<DimmStatus>();
        var matched = new HashSet<string>(StringComparer.Ordinal);
        foreach (var device in devices.Where(d => d.Id is not null).OrderBy(d => d.Addr))
        {
            var guest = model is null ? null : FindGuestDimm(model, device);
            if (guest is not null)
            {
                matched.Add(guest.Id);
            }

            rows.Add(new DimmStatus
            {
                Id = device.Id!, Backend = device.BackendId, Slot = device.Slot, Addr = device.Addr, Size = device.Size, Node = device.Node,
                Hotplugged = device.Hotplugged,
                GuestZones = guest?.Zones ?? [], GuestState = guest?.State,
                Readiness = model is null ? "unknown" : guest?.Readiness ?? "not-ready",
                Reason = model is null ? "no guest agent: " + AgentProblem : guest?.Reason ?? "the guest does not see this DIMM's memory",
                Operation = State.Find(device.Id!) is { Operation: not DimmOperation.None } r ? Describe(r.Operation) : null,
            });
        }

        var current = layout.Current;
        return new StatusReport
        {
            Qmp = _qmp.Path, QemuVersion = _qmp.Version,
            BootMemory = layout.BootMemory, CurrentMemory = current, RequestedMemory = State.RequestedMemory ?? current,
            MaxMemory = limits.MaxMemory, RoomLeft = limits.MaxMemory is { } max ? Math.Max(0, max - current) : null,
            Slots = limits.Slots, SlotsUsed = layout.UsedSlots, FreeSlots = limits.Slots is { } s ? Math.Max(0, s - layout.UsedSlots) : null,
            AgentConnected = Agent is not null, AgentProblem = AgentProblem,
            AgentVersion = Agent?.Hello.Version, GuestPolicy = model?.Policy, GuestBlockSize = model?.BlockSize,
            GuestOnly = model?.Dimms.Where(d => d.Kind != "boot" && !matched.Contains(d.Id)).Select(d => d.Id).ToList() ?? [],
            Dimms = rows,
        };
    }

    /// <summary>Plugs one DIMM of <paramref name="size"/>; checks limits before QEMU is asked and undoes a half-done plug.</summary>
    public async Task<DimmRecord> PlugAsync(long size, int? node, CancellationToken cancellationToken)
    {
        var (layout, limits, devices) = await ReadLayoutAsync(cancellationToken).ConfigureAwait(false);
        if (PlugPlanner.Check(size, limits, layout) is { } refusal)
        {
            throw new HostCommandException($"cannot plug {ByteSize.Format(size)}: {refusal}");
        }

        var used = devices.SelectMany(d => new[] { d.Id, d.BackendId }).OfType<string>().Concat(State.Dimms.SelectMany(d => new[] { d.Id, d.Backend }));
        var names = DeviceNames.Next(used);
        var record = new DimmRecord { Id = names.Device, Backend = names.Backend, Size = size, Node = node, Created = _time.GetUtcNow() };
        record.Begin(DimmOperation.AddingBackend, _time.GetUtcNow());
        State.Dimms.Add(record);
        Save();

        try
        {
            await _qmp.ExecuteAsync("object-add", new JsonObject { ["qom-type"] = "memory-backend-ram", ["id"] = names.Backend, ["size"] = size }, cancellationToken).ConfigureAwait(false);
        }
        catch (QmpCommandException e)
        {
            State.Dimms.Remove(record);
            Save();
            throw new HostCommandException($"QEMU refused the memory backend: {e.Description}; nothing was changed", e);
        }

        record.Begin(DimmOperation.AddingDevice, _time.GetUtcNow());
        Save();
        var watch = Stopwatch.StartNew();
        try
        {
            var arguments = new JsonObject { ["driver"] = "pc-dimm", ["id"] = names.Device, ["memdev"] = names.Backend };
            if (node is { } n)
            {
                arguments["node"] = n;
            }

            await _qmp.ExecuteAsync("device_add", arguments, cancellationToken).ConfigureAwait(false);
        }
        catch (QmpCommandException e)
        {
            await RemoveBackendAsync(names.Backend, cancellationToken).ConfigureAwait(false);
            State.Dimms.Remove(record);
            Save();
            throw new HostCommandException($"QEMU refused the DIMM: {e.Description}; its backend was removed again, nothing was changed", e);
        }

        var device = (await _qmp.QueryMemoryDevicesAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(d => d.Id == names.Device);
        record.Slot = device?.Slot;
        record.Addr = device?.Addr;
        record.Finish();
        Save();
        Say($"plugged {record.Id}: {ByteSize.Format(size)} in slot {record.Slot} at {ByteSize.Address(record.Addr ?? 0)} (backend {record.Backend})");
        await ReportGuestOnliningAsync(record, watch, cancellationToken).ConfigureAwait(false);
        return record;
    }

    private async Task ReportGuestOnliningAsync(DimmRecord record, Stopwatch watch, CancellationToken cancellationToken)
    {
        if (Agent is null)
        {
            Say($"  the guest agent is not answering ({AgentProblem}); the guest's udev rule onlines the memory as movable");
            return;
        }

        var deadline = _options.OnlineTimeout;
        while (true)
        {
            DimmReport? guest = null;
            try
            {
                var model = await Agent.RefreshModelAsync(_options.AgentTimeout, cancellationToken).ConfigureAwait(false);
                guest = model.Dimms.FirstOrDefault(d => d.Slot == record.Slot && d.Kind == "acpi");
                if (guest is not null && guest.State == "online" && guest.Size == record.Size)
                {
                    Say($"  guest: {guest.Blocks.Count} blocks online in {string.Join("/", guest.Zones)} after {watch.Elapsed.TotalSeconds:0.00} s; {guest.Readiness}: {guest.Reason}");
                    return;
                }
            }
            catch (Exception e) when (e is AgentUnavailableException or ProtocolErrorException)
            {
                Say($"  the guest agent stopped answering ({e.Message}); the DIMM is plugged");
                return;
            }

            if (watch.Elapsed > deadline)
            {
                Say($"  warning: the guest has not onlined all of {record.Id} after {deadline.TotalSeconds:0} s (state: {guest?.State ?? "not seen"})");
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Unplugs one DIMM: the guest prepares (offlines) it, then <c>device_del</c>, <c>DEVICE_DELETED</c> within the time
    /// limit, <c>object-del</c>. On the guest's or QEMU's refusal, or a timeout, the guest onlines it again and the DIMM
    /// stays. <paramref name="force"/> goes ahead without the guest's word (see README).
    /// </summary>
    public async Task UnplugAsync(string id, bool force, CancellationToken cancellationToken)
    {
        var devices = await _qmp.QueryMemoryDevicesAsync(cancellationToken).ConfigureAwait(false);
        var device = devices.FirstOrDefault(d => d.Id == id && d.UsesSlot)
                     ?? throw new HostCommandException($"no DIMM with id '{id}'; QEMU has: {Names(devices)}");
        var record = State.Find(id) ?? throw new HostCommandException($"'{id}' is not in the state file (internal error)");
        if (record.Operation != DimmOperation.None)
        {
            throw new HostCommandException($"{id} is already being worked on: {Describe(record.Operation)} since {record.OperationStarted:u}");
        }

        var total = Stopwatch.StartNew();
        var slot = device.Slot ?? throw new HostCommandException($"{id} has no slot");
        DimmReport? guest = null;
        if (Agent is null)
        {
            if (!force)
            {
                throw new HostCommandException($"refusing to unplug {id}: the guest agent is not answering ({AgentProblem}), so whether the guest can let go of it is unknown; --force unplugs anyway (see README for what that risks)");
            }

            Say($"--force: unplugging {id} without the guest agent ({AgentProblem})");
        }
        else
        {
            guest = FindGuestDimm(await Agent.RefreshModelAsync(_options.AgentTimeout, cancellationToken).ConfigureAwait(false), device);
            if (guest is null || guest.Readiness != "ready")
            {
                var why = guest is null ? "the guest does not see its memory" : $"{guest.Readiness}: {guest.Reason}";
                if (!force)
                {
                    throw new HostCommandException($"refusing to unplug {id} (slot {slot}): the guest says it is not ready ({why}); --force asks QEMU anyway");
                }

                Say($"--force: {id} is not ready in the guest ({why}); asking QEMU anyway: the guest kernel decides, and may refuse (_OST 0x82) or give up memory it needs");
            }
        }

        record.Begin(DimmOperation.Preparing, _time.GetUtcNow());
        Save();
        if (Agent is not null && guest?.Readiness == "ready")
        {
            var prepare = Stopwatch.StartNew();
            try
            {
                var result = await Agent.PrepareUnplugAsync(slot, _options.PrepareTimeout, cancellationToken).ConfigureAwait(false);
                record.GuestPrepared = true;
                Save();
                Say($"guest offlined {result.Blocks.Count} blocks of {id} in {prepare.Elapsed.TotalSeconds:0.00} s");
            }
            catch (ProtocolErrorException e)
            {
                record.Finish();
                Save();
                throw new HostCommandException($"the guest could not offline {id}: {e.Error.Desc}{(e.Error.Errno is null ? "" : $" ({e.Error.Errno})")}; it onlined the blocks again and the DIMM stays", e);
            }
            catch (AgentUnavailableException e)
            {
                record.Finish();
                Save();
                throw new HostCommandException($"{e.Message}; QEMU was not asked, the DIMM stays (a restarted agent onlines any block left offline)", e);
            }
        }

        record.Begin(DimmOperation.Deleting, _time.GetUtcNow());
        Save();
        using var events = _qmp.Subscribe();
        var delete = Stopwatch.StartNew();
        try
        {
            await _qmp.ExecuteAsync("device_del", new JsonObject { ["id"] = id }, cancellationToken).ConfigureAwait(false);
        }
        catch (QmpCommandException e)
        {
            await RollBackUnplugAsync(record, slot, cancellationToken).ConfigureAwait(false);
            throw new HostCommandException($"QEMU refused device_del of {id}: {e.Description}; the DIMM stays", e);
        }

        var slotText = slot.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var outcome = await events.WaitAsync(
            e => (e.Name == "DEVICE_DELETED" && e.Data["device"]?.GetValue<string>() == id)
                 || (e.Name == "ACPI_DEVICE_OST" && IsRefusal(e.Data["info"] as JsonObject, id, slotText)),
            _options.UnplugTimeout,
            cancellationToken).ConfigureAwait(false);
        if (outcome?.Name != "DEVICE_DELETED")
        {
            await RollBackUnplugAsync(record, slot, cancellationToken).ConfigureAwait(false);
            if (outcome is null)
            {
                throw new HostCommandException($"QEMU did not report {id} deleted within {_options.UnplugTimeout.TotalSeconds:0} s; the guest was told to keep it (if QEMU removes it later, the next command cleans up)");
            }

            var status = outcome.Data["info"]?["status"]?.GetValue<int>() ?? -1;
            throw new HostCommandException($"the guest refused to eject {id}: ACPI _OST status 0x{status:x} ({AcpiOstStatus.Describe(status)}); the DIMM is still plugged and online");
        }

        var deleted = delete.Elapsed;
        record.Begin(DimmOperation.RemovingBackend, _time.GetUtcNow());
        Save();
        if (await RemoveBackendAsync(record.Backend, cancellationToken).ConfigureAwait(false))
        {
            State.Dimms.Remove(record);
        }
        else
        {
            Say($"warning: the backend {record.Backend} is still in use; the next command removes it");
        }

        Save();
        Say($"unplugged {id}: {ByteSize.Format(device.Size)} from slot {slot} at {ByteSize.Address(device.Addr)} (device_del → DEVICE_DELETED {deleted.TotalSeconds:0.00} s, whole unplug {total.Elapsed.TotalSeconds:0.00} s)");
    }

    /// <summary>
    /// Grows by one DIMM (rounded up) or releases the hot-plugged DIMMs that best fit the decrease; boot memory stays.
    /// Returns the memory QEMU ends with.
    /// </summary>
    public async Task<long> SetMemoryAsync(long target, bool force, CancellationToken cancellationToken)
    {
        var (layout, limits, devices) = await ReadLayoutAsync(cancellationToken).ConfigureAwait(false);
        ModelReport? model = Agent is null ? null : await Agent.RefreshModelAsync(_options.AgentTimeout, cancellationToken).ConfigureAwait(false);
        if (target < layout.Current && model is null && !force)
        {
            throw new HostCommandException($"refusing to shrink: the guest agent is not answering ({AgentProblem}), so which DIMMs the guest can let go of is unknown; --force shrinks anyway");
        }

        var candidates = new List<UnplugCandidate>();
        var skipped = new List<string>();
        foreach (var device in devices.Where(d => d.UsesSlot && d.Hotplugged && d.Id is not null))
        {
            if (State.Find(device.Id!) is { Operation: not DimmOperation.None } busy)
            {
                skipped.Add($"{device.Id} ({Describe(busy.Operation)})");
                continue;
            }

            var guest = model is null ? null : FindGuestDimm(model, device);
            if (model is not null && guest?.Readiness != "ready" && !force)
            {
                skipped.Add($"{device.Id} (not ready: {guest?.Reason ?? "not seen by the guest"})");
                continue;
            }

            candidates.Add(new UnplugCandidate(device.Id!, device.Size, device.Slot));
        }

        MemoryChangePlan plan;
        try
        {
            plan = MemoryChangePlanner.Plan(target, layout, limits, candidates);
        }
        catch (InvalidOperationException e)
        {
            throw new HostCommandException(e.Message + (skipped.Count > 0 ? $" (skipped: {string.Join(", ", skipped)})" : ""), e);
        }

        State.RequestedMemory = target;
        Save();
        Say($"memory {ByteSize.Format(plan.Current)} → {ByteSize.Format(plan.Resulting)} (asked {ByteSize.Format(target)})"
            + (plan.Note is null ? "" : $": {plan.Note}") + (skipped.Count > 0 ? $"; skipped {string.Join(", ", skipped)}" : ""));
        switch (plan.Kind)
        {
            case MemoryChangeKind.Grow:
                await PlugAsync(plan.GrowBy, null, cancellationToken).ConfigureAwait(false);
                break;
            case MemoryChangeKind.Shrink:
                var failures = new List<string>();
                foreach (var candidate in plan.Release)
                {
                    try
                    {
                        await UnplugAsync(candidate.Id, force, cancellationToken).ConfigureAwait(false);
                    }
                    catch (HostCommandException e)
                    {
                        failures.Add(e.Message);
                        Say("  " + e.Message);
                    }
                }

                if (failures.Count > 0)
                {
                    var now = await _qmp.QueryMemorySizeSummaryAsync(cancellationToken).ConfigureAwait(false);
                    throw new HostCommandException($"{failures.Count} of {plan.Release.Count} DIMMs could not be released; memory is {ByteSize.Format(now.BaseMemory + now.PluggedMemory)}");
                }

                break;
        }

        var summary = await _qmp.QueryMemorySizeSummaryAsync(cancellationToken).ConfigureAwait(false);
        return summary.BaseMemory + summary.PluggedMemory;
    }

    private async Task<(MemoryLayout Layout, VmLimits Limits, IReadOnlyList<QmpMemoryDevice> Devices)> ReadLayoutAsync(CancellationToken cancellationToken)
    {
        var devices = await _qmp.QueryMemoryDevicesAsync(cancellationToken).ConfigureAwait(false);
        var summary = await _qmp.QueryMemorySizeSummaryAsync(cancellationToken).ConfigureAwait(false);
        var slots = _options.Slots ?? await _qmp.QueryDimmSlotCountAsync(cancellationToken).ConfigureAwait(false);
        var blockSize = Agent?.Hello.BlockSize is > 0 and var reported ? reported : State.GuestBlockSize ?? _options.DefaultBlockSize;
        var limits = new VmLimits { BlockSize = blockSize, Multiple = _options.Multiple, Slots = slots, MaxMemory = _options.MaxMemory };
        return (new MemoryLayout(summary.BaseMemory, summary.PluggedMemory, devices.Count(d => d.UsesSlot)), limits, devices);
    }

    private async Task RollBackUnplugAsync(DimmRecord record, int slot, CancellationToken cancellationToken)
    {
        if (Agent is not null)
        {
            await CancelInGuestAsync(slot, cancellationToken).ConfigureAwait(false);
        }

        record.Finish();
        Save();
    }

    private async Task CancelInGuestAsync(int slot, CancellationToken cancellationToken)
    {
        try
        {
            var result = await Agent!.CancelUnplugAsync(slot, _options.PrepareTimeout, cancellationToken).ConfigureAwait(false);
            Say($"guest: slot {slot} {(result.Ok ? "online again" : "could not be onlined again: " + result.Message)}");
        }
        catch (ProtocolErrorException e)
        {
            Say($"guest: cancel-unplug of slot {slot}: {e.Error.Desc}");
        }
        catch (AgentUnavailableException e)
        {
            Say($"guest: cannot ask it to online slot {slot} again ({e.Message}); a restarted agent onlines any block left offline");
        }
    }

    /// <summary>Removes a backend object; true when it is gone (or was already). QEMU may hold it a moment after DEVICE_DELETED.</summary>
    private async Task<bool> RemoveBackendAsync(string backend, CancellationToken cancellationToken)
    {
        if (backend.Length == 0)
        {
            return true;
        }

        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await _qmp.ExecuteAsync("object-del", new JsonObject { ["id"] = backend }, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (QmpCommandException e) when (e.Description.Contains("not found", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
            catch (QmpCommandException) when (attempt < 10)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), _time, cancellationToken).ConfigureAwait(false);
            }
            catch (QmpCommandException)
            {
                return false;
            }
        }
    }

    private static bool IsRefusal(JsonObject? info, string id, string slot)
    {
        if (info is null || info["source"]?.GetValue<int>() != AcpiOstStatus.EjectRequest)
        {
            return false;
        }

        var ours = info["device"]?.GetValue<string>() == id || (info["slot"]?.GetValue<string>() == slot && info["slot-type"]?.GetValue<string>() == "DIMM");
        var status = info["status"]?.GetValue<int>();
        return ours && status is not null && status != AcpiOstStatus.Success && status != AcpiOstStatus.InProgress;
    }

    /// <summary>The guest's DIMM for a QEMU device: the ACPI slot, checked against the address.</summary>
    internal static DimmReport? FindGuestDimm(ModelReport model, QmpMemoryDevice device) =>
        model.Dimms.FirstOrDefault(d => d.Kind == "acpi" && d.Slot == device.Slot && (d.Start == device.Addr || d.Blocks.Count == 0))
        ?? model.Dimms.FirstOrDefault(d => d.Kind == "range" && d.Start == device.Addr && d.Size == device.Size);

    private static string Names(IReadOnlyList<QmpMemoryDevice> devices) =>
        devices.Any(d => d.Id is not null && d.UsesSlot) ? string.Join(", ", devices.Where(d => d.Id is not null && d.UsesSlot).Select(d => d.Id)) : "no DIMMs";

    private static string Describe(DimmOperation operation) => operation switch
    {
        DimmOperation.AddingBackend or DimmOperation.AddingDevice => "plug",
        DimmOperation.Preparing => "unplug (guest preparing)",
        DimmOperation.Deleting => "unplug (waiting for QEMU)",
        DimmOperation.RemovingBackend => "backend removal",
        _ => "nothing",
    };

    private void Save() => _store.Save(State);

    private void Say(string line) => _out.WriteLine(line);

    public async ValueTask DisposeAsync()
    {
        if (Agent is not null)
        {
            await Agent.DisposeAsync().ConfigureAwait(false);
        }

        await _qmp.DisposeAsync().ConfigureAwait(false);
        _lock.Dispose();
    }
}
