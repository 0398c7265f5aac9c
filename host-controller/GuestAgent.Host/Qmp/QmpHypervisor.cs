using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using GuestAgent.Host.Hypervisor;

namespace GuestAgent.Host.Qmp;

/// <summary>
/// Bare QEMU over its QMP socket: DIMMs are a <c>memory-backend-ram</c> object plus a <c>pc-dimm</c> device;
/// removal is <c>device_del</c> (the id, or the QOM path of a DIMM without one), completed by <c>DEVICE_DELETED</c> or
/// refused by the guest's ACPI <c>_OST</c>, then <c>object-del</c> of the backend; the agent's port is watched through
/// <c>VSERPORT_CHANGE</c>. QEMU 7.2 does not tell maxmem over QMP: the caller supplies it (<c>--max-memory</c>).
/// </summary>
public sealed class QmpHypervisor : IHypervisor, ILiveMigration
{
    private readonly QmpClient _qmp;
    private readonly TimeProvider _time;
    private int? _slots;
    private bool _slotsRead;

    private QmpHypervisor(QmpClient qmp, VmIdentity identity, TimeProvider time)
    {
        _qmp = qmp;
        Identity = identity;
        _time = time;
    }

    public string Description => $"QEMU {_qmp.Version} (QMP {_qmp.Path})";

    public VmIdentity Identity { get; }

    public QmpClient Client => _qmp;

    public string EventSource => "qemu";

    public string NoAgentChannel(string portName) => $"no --agent given (QMP does not say where the socket of the port {portName} is)";

    public bool RemovesBackends => false;

    public string DeviceIdPrefix => Planning.DeviceNames.DevicePrefix;

    /// <summary>QMP does not say where a chardev's socket is: <c>--agent</c> gives it.</summary>
    public string? AgentChannelPath => null;

    public HypervisorEventSubscription SubscribeEvents() => _qmp.Subscribe();

    /// <param name="path">The QMP socket.</param>
    /// <param name="timeout">How long QEMU may take to greet.</param>
    /// <param name="cancellationToken">Stops connecting.</param>
    /// <param name="time">The clock of its waits (an unplug's, a backend's removal).</param>
    public static async Task<QmpHypervisor> ConnectAsync(string path, TimeSpan timeout, CancellationToken cancellationToken, TimeProvider? time = null)
    {
        var qmp = await QmpClient.ConnectAsync(path, timeout, cancellationToken).ConfigureAwait(false);
        try
        {
            return new QmpHypervisor(qmp, await qmp.QueryIdentityAsync(cancellationToken).ConfigureAwait(false), time ?? TimeProvider.System);
        }
        catch
        {
            await qmp.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task<HypervisorMemory> ReadMemoryAsync(CancellationToken cancellationToken)
    {
        var devices = await _qmp.QueryMemoryDevicesAsync(cancellationToken).ConfigureAwait(false);
        var summary = await _qmp.QueryMemorySizeSummaryAsync(cancellationToken).ConfigureAwait(false);
        if (!_slotsRead)
        {
            _slots = await _qmp.QueryDimmSlotCountAsync(cancellationToken).ConfigureAwait(false);
            _slotsRead = true;
        }

        var dimms = new List<HypervisorDimm>();
        foreach (var device in devices.Where(d => d.UsesSlot))
        {
            dimms.Add(new HypervisorDimm
            {
                Id = device.Id,
                Path = device.Id is null && device.Slot is { } slot ? await _qmp.FindAnonymousDimmPathAsync(slot, cancellationToken).ConfigureAwait(false) : null,
                Backend = device.BackendId,
                Slot = device.Slot,
                Addr = device.Addr,
                Size = device.Size,
                Node = device.Node,
                Hotplugged = device.Hotplugged,
            });
        }

        var virtioMem = devices.Where(d => d.Type == "virtio-mem" && d.Id is not null).Select(d => new VirtioMemDevice
        {
            Id = d.Id!, Addr = d.Addr, Size = d.Size, RequestedSize = d.RequestedSize, MaxSize = d.MaxSize, BlockSize = d.BlockSize, Node = d.Node,
        }).ToList();
        return new HypervisorMemory { BootMemory = summary.BaseMemory, Dimms = dimms, VirtioMem = virtioMem, Slots = _slots };
    }

    public async Task<HypervisorDimm> PlugAsync(PlugRequest request, Func<PlugStep, Task> beforeStep, CancellationToken cancellationToken)
    {
        await beforeStep(PlugStep.Backend).ConfigureAwait(false);
        try
        {
            await _qmp.ExecuteAsync("object-add", new JsonObject { ["qom-type"] = "memory-backend-ram", ["id"] = request.Backend, ["size"] = request.Size }, cancellationToken).ConfigureAwait(false);
        }
        catch (QmpCommandException e)
        {
            throw new HypervisorRefusedException($"QEMU refused the memory backend: {e.Description}; nothing was changed", e);
        }

        await beforeStep(PlugStep.Device).ConfigureAwait(false);
        try
        {
            var arguments = new JsonObject { ["driver"] = "pc-dimm", ["id"] = request.Id, ["memdev"] = request.Backend };
            if (request.Node is { } node)
            {
                arguments["node"] = node;
            }

            await _qmp.ExecuteAsync("device_add", arguments, cancellationToken).ConfigureAwait(false);
        }
        catch (QmpCommandException e)
        {
            var removed = await RemoveLeftoversAsync(request.Backend, cancellationToken).ConfigureAwait(false);
            throw new HypervisorRefusedException(
                $"QEMU refused the DIMM: {e.Description}; " + (removed ? "its backend was removed again, nothing was changed" : $"its backend {request.Backend} could not be removed yet (the next command retries)"), e);
        }

        var memory = await ReadMemoryAsync(cancellationToken).ConfigureAwait(false);
        return memory.Find(request.Id) ?? throw new HypervisorRefusedException($"QEMU accepted {request.Id} but does not list it");
    }

    public async Task<UnplugResult> UnplugAsync(HypervisorDimm dimm, TimeSpan limit, CancellationToken cancellationToken)
    {
        var target = dimm.Id ?? dimm.Path ?? throw new HypervisorRefusedException($"{dimm.Name} has neither an id nor a QOM path QEMU could remove it by");
        using var events = _qmp.Subscribe();
        var watch = Stopwatch.StartNew();
        try
        {
            await _qmp.ExecuteAsync("device_del", new JsonObject { ["id"] = target }, cancellationToken).ConfigureAwait(false);
        }
        catch (QmpCommandException e)
        {
            throw new HypervisorRefusedException($"QEMU refused device_del of {dimm.Name}: {e.Description}", e);
        }
        catch (QmpException) when (_qmp.Closed.IsCompleted)
        {
            return new UnplugResult(UnplugOutcome.HypervisorGone, $"QEMU closed its QMP connection as device_del of {dimm.Name} was sent: it quit or was killed", watch.Elapsed);
        }

        var slot = dimm.Slot?.ToString(CultureInfo.InvariantCulture);
        var outcome = await events.WaitAsync(e => IsDeleted(e, dimm) || (e.Name == "ACPI_DEVICE_OST" && AcpiOstStatus.IsEjectRefusal(e.Data["info"] as JsonObject, dimm.Id, slot)), limit, cancellationToken, _time)
            .ConfigureAwait(false);
        var elapsed = watch.Elapsed;
        if (outcome is null && _qmp.Closed.IsCompleted)
        {
            return new UnplugResult(UnplugOutcome.HypervisorGone, $"QEMU closed its QMP connection {elapsed.TotalSeconds:0.0} s after device_del of {dimm.Name}, before saying how the removal ended: it quit or was killed", elapsed);
        }

        if (outcome is null)
        {
            return new UnplugResult(UnplugOutcome.TimedOut, $"QEMU did not report {dimm.Name} deleted within {limit.TotalSeconds:0} s", elapsed);
        }

        if (outcome.Name != "DEVICE_DELETED")
        {
            var status = outcome.Data["info"]?["status"]?.GetValue<int>() ?? -1;
            return new UnplugResult(UnplugOutcome.Refused, $"ACPI _OST status 0x{status:x} ({AcpiOstStatus.Describe(status)})", elapsed);
        }

        return new UnplugResult(UnplugOutcome.Removed, "DEVICE_DELETED", elapsed, await RemoveLeftoversAsync(dimm.Backend, cancellationToken).ConfigureAwait(false));
    }

    public async Task<bool> WaitForRemovalAsync(HypervisorDimm dimm, TimeSpan limit, CancellationToken cancellationToken)
    {
        using var events = _qmp.Subscribe();
        var memory = await ReadMemoryAsync(cancellationToken).ConfigureAwait(false);
        return memory.Dimms.All(d => d.Name != dimm.Name)
               || await events.WaitAsync(e => IsDeleted(e, dimm), limit, cancellationToken, _time).ConfigureAwait(false) is not null;
    }

    /// <summary>Removes a backend object; true when it is gone (or was already). QEMU may hold it a moment after DEVICE_DELETED.</summary>
    public async Task<bool> RemoveLeftoversAsync(string? backend, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(backend))
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

    /// <summary>
    /// From the run state (<c>query-status</c>) first, then <c>query-migrate</c>: after an incoming migration the
    /// destination's <c>query-migrate</c> says <c>completed</c> too, so only the source's run state <c>postmigrate</c>
    /// says it was left behind (measured on QEMU 7.2); <c>inmigrate</c> is a destination still waiting or receiving.
    /// </summary>
    public async Task<MigrationState> MigrationStateAsync(CancellationToken cancellationToken)
    {
        // The migration's status first: QEMU marks it completed before it leaves finish-migrate for postmigrate, so a
        // run state read after it never says running on a source that has just completed.
        var migration = (await _qmp.ExecuteAsync("query-migrate", null, cancellationToken).ConfigureAwait(false))?["status"]?.GetValue<string>();
        var run = (await _qmp.ExecuteAsync("query-status", null, cancellationToken).ConfigureAwait(false))?["status"]?.GetValue<string>();
        return MigrationStates.FromQemu(run, migration);
    }

    public async Task StartMigrationAsync(string uri, CancellationToken cancellationToken)
    {
        try
        {
            await _qmp.ExecuteAsync("migrate", new JsonObject { ["uri"] = uri }, cancellationToken).ConfigureAwait(false);
        }
        catch (QmpCommandException e)
        {
            throw new HypervisorRefusedException($"QEMU refused to migrate to {uri}: {e.Description}", e);
        }
    }

    public async Task<MigrationProgress> MigrationProgressAsync(CancellationToken cancellationToken) =>
        MigrationStates.Progress(await _qmp.ExecuteAsync("query-migrate", null, cancellationToken).ConfigureAwait(false) as JsonObject);

    public Task CancelMigrationAsync(CancellationToken cancellationToken) => _qmp.ExecuteAsync("migrate_cancel", null, cancellationToken);

    public async Task<IHypervisor> ConnectDestinationAsync(string monitor, TimeSpan timeout, CancellationToken cancellationToken) =>
        await ConnectAsync(monitor, timeout, cancellationToken, _time).ConfigureAwait(false);

    public async Task<(IReadOnlyList<string> Arguments, IReadOnlyList<string> Problems)> RestartArgumentsAsync(CancellationToken cancellationToken)
    {
        var memory = await ReadMemoryAsync(cancellationToken).ConfigureAwait(false);
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var unknown = new List<string>();
        foreach (var backend in memory.Dimms.Select(d => d.Backend).OfType<string>().Distinct())
        {
            try
            {
                if (await _qmp.ExecuteAsync("qom-get", new JsonObject { ["path"] = "/objects/" + backend, ["property"] = "type" }, cancellationToken).ConfigureAwait(false) is JsonValue type
                    && type.TryGetValue<string>(out var name))
                {
                    types[backend] = name;
                    continue;
                }
            }
            catch (QmpCommandException e)
            {
                unknown.Add($"QEMU does not say what type the backend {backend} is ({e.Description}): it is given as memory-backend-ram; check it against the VM's command line");
                continue;
            }

            unknown.Add($"QEMU does not say what type the backend {backend} is: it is given as memory-backend-ram; check it against the VM's command line");
        }

        var arguments = Planning.QemuRestartArguments.Build(memory.Dimms, types, out var problems);
        return (arguments, [.. unknown, .. problems]);
    }

    public async Task RequestVirtioMemSizeAsync(VirtioMemDevice device, long requestedSize, CancellationToken cancellationToken)
    {
        try
        {
            await _qmp.ExecuteAsync("qom-set", new JsonObject { ["path"] = device.Id, ["property"] = "requested-size", ["value"] = requestedSize }, cancellationToken).ConfigureAwait(false);
        }
        catch (QmpCommandException e)
        {
            throw new HypervisorRefusedException($"QEMU refused requested-size {requestedSize} for {device.Id}: {e.Description}", e);
        }
    }

    public async Task<IAgentPortWatch> WatchAgentPortAsync(string portName, CancellationToken cancellationToken)
    {
        var events = _qmp.Subscribe();
        var id = await _qmp.FindSerialPortIdAsync(portName, cancellationToken).ConfigureAwait(false);
        return new QmpAgentPortWatch(events, id);
    }

    private static bool IsDeleted(HypervisorEvent e, HypervisorDimm dimm) =>
        e.Name == "DEVICE_DELETED"
        && ((dimm.Id is not null && e.Data["device"]?.GetValue<string>() == dimm.Id) || (dimm.Path is not null && e.Data["path"]?.GetValue<string>() == dimm.Path));

    public ValueTask DisposeAsync() => _qmp.DisposeAsync();
}
