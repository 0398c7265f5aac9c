using System.Diagnostics;
using GuestAgent.Host.Hypervisor;
using GuestAgent.Host.Qmp;

namespace GuestAgent.Host.Libvirt;

/// <summary>
/// QEMU under libvirt (oVirt/VDSM, KubeVirt's virt-launcher, OpenStack, virsh): libvirt owns QEMU's monitor, so DIMMs
/// are <c>&lt;memory model='dimm'&gt;</c> devices attached live with a user alias (<c>ua-ga-dimmN</c>) and detached by
/// alias; libvirt manages the backend itself. The domain XML is the truth for devices (slot and base address are
/// read back from it). A detach returns after about 5 s whatever happens: completion is <c>DEVICE_REMOVED</c>, and
/// the guest's refusal (its ACPI <c>_OST</c>) is <c>DEVICE_REMOVAL_FAILED</c>. The agent's channel is found in the XML
/// (the unix channel whose virtio target names the port), and its <c>state</c> there tells when the guest closed it.
/// With <c>persistent</c> every change is applied to the domain's definition too.
/// </summary>
public sealed class LibvirtHypervisor : IHypervisor
{
    private static readonly TimeSpan ChannelPoll = TimeSpan.FromSeconds(1);

    private readonly LibvirtDomain _domain;
    private readonly string _agentPortName;
    private readonly bool _persistent;
    private readonly TimeProvider _time;

    private LibvirtHypervisor(LibvirtDomain domain, string agentPortName, bool persistent, string? agentChannelPath, TimeProvider time)
    {
        _time = time;
        _domain = domain;
        _agentPortName = agentPortName;
        _persistent = persistent;
        AgentChannelPath = agentChannelPath;
        Identity = VmIdentity.From(domain.Uuid, domain.Name, null, null) ?? throw new LibvirtException("libvirt gives this domain neither a UUID nor a name");
    }

    public string Description => $"libvirt {_domain.Version} (domain {_domain.Name} at {_domain.Uri})" + (_persistent ? ", changes made persistent" : "");

    public VmIdentity Identity { get; }

    public string EventSource => "libvirt";

    public string NoAgentChannel(string portName) => $"the domain has no unix channel for {portName} and no --agent was given";

    public bool RemovesBackends => true;

    public string DeviceIdPrefix => DimmDeviceXml.UserAliasPrefix + Planning.DeviceNames.DevicePrefix;

    public string? AgentChannelPath { get; }

    public static async Task<LibvirtHypervisor> ConnectAsync(string uri, string domain, string agentPortName, bool persistent, CancellationToken cancellationToken, TimeProvider? time = null)
    {
        var handle = await LibvirtDomain.OpenAsync(uri, domain, cancellationToken).ConfigureAwait(false);
        try
        {
            var xml = DomainXml.Parse(await handle.XmlAsync(false, cancellationToken).ConfigureAwait(false), agentPortName);
            return new LibvirtHypervisor(handle, agentPortName, persistent, xml.AgentChannelPath, time ?? TimeProvider.System);
        }
        catch
        {
            await handle.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task<HypervisorMemory> ReadMemoryAsync(CancellationToken cancellationToken)
    {
        var live = DomainXml.Parse(await _domain.XmlAsync(false, cancellationToken).ConfigureAwait(false), _agentPortName);
        var defined = DomainXml.Parse(await _domain.XmlAsync(true, cancellationToken).ConfigureAwait(false), _agentPortName);
        var definedAliases = defined.Dimms.Select(d => d.Alias).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var definedSlots = defined.Dimms.Select(d => d.Slot).OfType<int>().ToHashSet();
        return new HypervisorMemory
        {
            BootMemory = live.BootMemory,
            Slots = live.Slots,
            MaxMemory = live.MaxMemory,
            Dimms = live.Dimms.Select(d => new HypervisorDimm
            {
                Id = d.Alias,
                Slot = d.Slot,
                Addr = d.Base ?? 0,
                Size = d.Size,
                Node = d.Node,
                // In the definition too (by alias, or by slot where the definition places it): the domain starts
                // with it, or --persistent put it there.
                Hotplugged = !(d.Alias is { } alias && definedAliases.Contains(alias)) && !(d.Slot is { } slot && definedSlots.Contains(slot)),
            }).ToList(),
            VirtioMem = live.VirtioMem.Where(v => v.Alias is not null).Select(v => new VirtioMemDevice
            {
                Id = v.Alias!, Addr = v.Base ?? 0, Size = v.Current ?? 0, RequestedSize = v.Requested, MaxSize = v.Size, BlockSize = v.Block, Node = v.Node,
            }).ToList(),
        };
    }

    public async Task<HypervisorDimm> PlugAsync(PlugRequest request, Func<PlugStep, Task> beforeStep, CancellationToken cancellationToken)
    {
        await beforeStep(PlugStep.Device).ConfigureAwait(false);
        try
        {
            await _domain.AttachAsync(DimmDeviceXml.Build(request.Id, request.Size, request.Node ?? 0), _persistent, cancellationToken).ConfigureAwait(false);
        }
        catch (LibvirtException e)
        {
            throw new HypervisorRefusedException($"libvirt refused the DIMM: {e.Message}; nothing was changed", e);
        }

        var memory = await ReadMemoryAsync(cancellationToken).ConfigureAwait(false);
        return memory.Find(request.Id) ?? throw new HypervisorRefusedException($"libvirt accepted {request.Id} but does not list it");
    }

    public async Task<UnplugResult> UnplugAsync(HypervisorDimm dimm, TimeSpan limit, CancellationToken cancellationToken)
    {
        var alias = dimm.Id ?? throw new HypervisorRefusedException($"{dimm.Name} has no alias libvirt could remove it by");
        using var events = _domain.Subscribe();
        var watch = Stopwatch.StartNew();
        var detach = _domain.DetachAsync(alias, _persistent, cancellationToken);
        var outcome = events.WaitAsync(e => IsOutcome(e, alias), limit, cancellationToken, _time);
        await Task.WhenAny(detach, outcome).ConfigureAwait(false);
        if (detach.IsFaulted && !outcome.IsCompleted)
        {
            // The detach failed at once (an unknown alias, a domain that went away) or the guest's refusal came within
            // libvirt's own wait: the event, when there is one, says which.
            var refusal = await events.WaitAsync(e => IsOutcome(e, alias), TimeSpan.FromSeconds(2), cancellationToken, _time).ConfigureAwait(false);
            if (refusal is null)
            {
                throw new HypervisorRefusedException($"libvirt refused to detach {dimm.Name}: {detach.Exception!.InnerException!.Message}", detach.Exception.InnerException);
            }

            return Result(refusal, alias, watch.Elapsed, detach.Exception!.InnerException!.Message);
        }

        var e = await outcome.ConfigureAwait(false);
        try
        {
            await detach.ConfigureAwait(false);
        }
        catch (LibvirtException) when (e is not null)
        {
            // Said by the event already (libvirt's "unplug of device was rejected by the guest").
        }

        if (e is null)
        {
            return await IsGoneAsync(alias, cancellationToken).ConfigureAwait(false)
                ? new UnplugResult(UnplugOutcome.Removed, "gone from the domain XML", watch.Elapsed)
                : new UnplugResult(UnplugOutcome.TimedOut, $"libvirt did not report {dimm.Name} removed within {limit.TotalSeconds:0} s", watch.Elapsed);
        }

        return Result(e, alias, watch.Elapsed, null);
    }

    private static UnplugResult Result(HypervisorEvent e, string alias, TimeSpan elapsed, string? libvirtSaid) =>
        e.Name == LibvirtDomainEvents.DeviceRemoved
            ? new UnplugResult(UnplugOutcome.Removed, LibvirtDomainEvents.DeviceRemoved, elapsed)
            : new UnplugResult(UnplugOutcome.Refused, $"libvirt's {LibvirtDomainEvents.DeviceRemovalFailed} for {alias}" + (libvirtSaid is null ? " (the guest refused the eject)" : $" ({libvirtSaid})"), elapsed);

    private static bool IsOutcome(HypervisorEvent e, string alias) =>
        e.Name is LibvirtDomainEvents.DeviceRemoved or LibvirtDomainEvents.DeviceRemovalFailed && e.Data["alias"]?.GetValue<string>() == alias;

    public async Task<bool> WaitForRemovalAsync(HypervisorDimm dimm, TimeSpan limit, CancellationToken cancellationToken)
    {
        if (dimm.Id is not { } alias)
        {
            return false;
        }

        using var events = _domain.Subscribe();
        return await IsGoneAsync(alias, cancellationToken).ConfigureAwait(false)
               || await events.WaitAsync(e => e.Name == LibvirtDomainEvents.DeviceRemoved && e.Data["alias"]?.GetValue<string>() == alias, limit, cancellationToken, _time).ConfigureAwait(false) is not null;
    }

    private async Task<bool> IsGoneAsync(string alias, CancellationToken cancellationToken) =>
        (await ReadMemoryAsync(cancellationToken).ConfigureAwait(false)).Dimms.All(d => d.Id != alias);

    /// <summary>libvirt removes a DIMM's backend itself.</summary>
    public Task<bool> RemoveLeftoversAsync(string? backend, CancellationToken cancellationToken) => Task.FromResult(true);

    public Task<IAgentPortWatch> WatchAgentPortAsync(string portName, CancellationToken cancellationToken) =>
        Task.FromResult<IAgentPortWatch>(new ChannelStateWatch(this, portName));

    public HypervisorEventSubscription SubscribeEvents() => _domain.Subscribe();

    /// <summary>
    /// From the domain's job (a migration out or in, <c>virDomainGetJobStats</c>; libvirt holds the job for the whole
    /// migration and refuses device changes itself meanwhile) and its state (paused for an incoming migration, running
    /// again after one). A source left behind is shut off (reason migrated) or gone: opening it already says so.
    /// </summary>
    public async Task<MigrationState> MigrationStateAsync(CancellationToken cancellationToken)
    {
        var (state, reason) = await _domain.StateAsync(cancellationToken).ConfigureAwait(false);
        int job;
        int? operation;
        try
        {
            (job, operation) = await _domain.JobAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (LibvirtException)
        {
            (job, operation) = (0, null); // where libvirt keeps no job statistics (a destination): the state says enough
        }

        var running = job is LibvirtNative.JobBounded or LibvirtNative.JobUnbounded;
        var said = $"libvirt's domain state {state} (reason {reason}), job type {job}" + (operation is { } o ? $", operation {o}" : "");
        return (running, operation, state, reason) switch
        {
            (true, LibvirtNative.OperationMigrationOut, _, _) => new MigrationState(MigrationPhase.Outgoing, "libvirt is migrating the domain out"),
            (true, LibvirtNative.OperationMigrationIn, _, _) => new MigrationState(MigrationPhase.Incoming, "libvirt is migrating the domain in"),
            (_, _, LibvirtNative.StatePaused, LibvirtNative.PausedMigration) => new MigrationState(MigrationPhase.Incoming, "the domain is paused for a migration"),
            (_, _, LibvirtNative.StateShutoff, LibvirtNative.ShutoffMigrated) => new MigrationState(MigrationPhase.MigratedAway, "libvirt's state: shut off, migrated"),
            (_, _, LibvirtNative.StateRunning, LibvirtNative.RunningMigrated) => new MigrationState(MigrationPhase.Arrived, said),
            _ => new MigrationState(MigrationPhase.None, said),
        };
    }

    public Task<(IReadOnlyList<string> Arguments, IReadOnlyList<string> Problems)> RestartArgumentsAsync(CancellationToken cancellationToken) =>
        throw new HypervisorRefusedException("libvirt starts the domain from its definition: DIMMs plugged with --persistent are in it (virsh dumpxml --inactive), live-only ones are not; there are no QEMU arguments to give it");

    /// <summary>
    /// The device as the live XML has it, with the new <c>requested</c>, through <c>virDomainUpdateDeviceFlags</c> (live;
    /// with <c>--persistent</c> the definition too), as <c>virsh update-memory-device</c> does.
    /// </summary>
    public async Task RequestVirtioMemSizeAsync(VirtioMemDevice device, long requestedSize, CancellationToken cancellationToken)
    {
        var live = DomainXml.Parse(await _domain.XmlAsync(false, cancellationToken).ConfigureAwait(false), _agentPortName);
        var element = live.VirtioMem.FirstOrDefault(v => v.Alias == device.Id)
            ?? throw new HypervisorRefusedException($"libvirt no longer lists virtio-mem {device.Id}");
        try
        {
            await _domain.UpdateAsync(VirtioMemDeviceXml.WithRequested(element.Xml, requestedSize), _persistent, cancellationToken).ConfigureAwait(false);
        }
        catch (LibvirtException e)
        {
            throw new HypervisorRefusedException($"libvirt refused requested size {requestedSize} for {device.Id}: {e.Message}", e);
        }
    }

    public ValueTask DisposeAsync() => _domain.DisposeAsync();

    /// <summary>
    /// libvirt sends an event for the state of qemu-ga's channel only; for ours it keeps the state in the live XML
    /// (<c>&lt;target state='connected'/&gt;</c>), which this reads once a second.
    /// </summary>
    private sealed class ChannelStateWatch : IAgentPortWatch
    {
        private readonly CancellationTokenSource _stop = new();

        public ChannelStateWatch(LibvirtHypervisor hypervisor, string portName) => Closed = PollAsync(hypervisor, portName, _stop.Token);

        public Task<string> Closed { get; }

        private static async Task<string> PollAsync(LibvirtHypervisor hypervisor, string portName, CancellationToken cancellationToken)
        {
            try
            {
                while (true)
                {
                    await Task.Delay(ChannelPoll, hypervisor._time, cancellationToken).ConfigureAwait(false);
                    var xml = DomainXml.Parse(await hypervisor._domain.XmlAsync(false, cancellationToken).ConfigureAwait(false), portName);
                    if (xml.AgentChannelState == "disconnected")
                    {
                        return $"the guest closed the agent's channel {portName} (libvirt's channel state: disconnected): the agent stopped or died";
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or LibvirtException)
            {
                // Stopped, or libvirt cannot say: this watch then says nothing.
                return await new TaskCompletionSource<string>().Task.ConfigureAwait(false);
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _stop.Dispose();
        }
    }
}
