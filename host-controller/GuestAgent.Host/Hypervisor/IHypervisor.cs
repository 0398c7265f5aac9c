namespace GuestAgent.Host.Hypervisor;

/// <summary>
/// The seam between the controller's workflows and whatever runs the VM: bare QEMU over QMP, or libvirt. Requests are
/// asynchronous in the hypervisor's own way (QEMU's <c>device_del</c> only asks the guest, libvirt's detach returns
/// after a few seconds whatever happens): completion is the event, which each backend waits for itself.
/// </summary>
public interface IHypervisor : IAsyncDisposable
{
    /// <summary>For people: <c>QEMU 7.2.0 (QMP /run/vm/qmp.sock)</c>.</summary>
    string Description { get; }

    /// <summary>Which VM this is; the lock and the default state file are named after it.</summary>
    VmIdentity Identity { get; }

    /// <summary>What <c>watch</c> calls its events' source: <c>qemu</c> or <c>libvirt</c>.</summary>
    string EventSource { get; }

    /// <summary>Why no agent channel is known, in this backend's terms (which option or configuration names one).</summary>
    string NoAgentChannel(string portName);

    /// <summary>The ids of the DIMMs this controller plugs: <c>ga-dimmN</c> (QEMU), <c>ua-ga-dimmN</c> (libvirt's user aliases).</summary>
    string DeviceIdPrefix { get; }

    /// <summary>The host end of the agent's channel as the hypervisor's own configuration names it (libvirt's domain XML); null where it cannot tell.</summary>
    string? AgentChannelPath { get; }

    /// <summary>Whether the hypervisor creates and removes a DIMM's memory backend itself (libvirt), so there is none to name.</summary>
    bool RemovesBackends { get; }

    /// <summary>The hypervisor's events from now on, in QMP's shape (for <c>watch</c>).</summary>
    HypervisorEventSubscription SubscribeEvents();

    Task<HypervisorMemory> ReadMemoryAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Plugs one DIMM; <paramref name="beforeStep"/> runs before each step (to journal it). A refusal undoes what was
    /// done and throws <see cref="HypervisorRefusedException"/>. Returns the DIMM as the hypervisor lists it.
    /// </summary>
    Task<HypervisorDimm> PlugAsync(PlugRequest request, Func<PlugStep, Task> beforeStep, CancellationToken cancellationToken);

    /// <summary>Asks for the DIMM's removal and waits for the outcome; on removal, its leftovers (QEMU's backend) go too.</summary>
    Task<UnplugResult> UnplugAsync(HypervisorDimm dimm, TimeSpan limit, CancellationToken cancellationToken);

    /// <summary>For a removal cut short: waits up to <paramref name="limit"/> for the DIMM to be gone; true when it is.</summary>
    Task<bool> WaitForRemovalAsync(HypervisorDimm dimm, TimeSpan limit, CancellationToken cancellationToken);

    /// <summary>Removes what a DIMM that is gone may have left (QEMU's backend object); true when nothing is left.</summary>
    Task<bool> RemoveLeftoversAsync(string? backend, CancellationToken cancellationToken);

    /// <summary>The VM's side of a live migration now (one under way, this side left behind, or still arriving).</summary>
    Task<MigrationState> MigrationStateAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Sets a virtio-mem device's requested size (the guest's driver then plugs or unplugs towards it); a refusal throws
    /// <see cref="HypervisorRefusedException"/>. Returns at once: the device's size follows as the guest works.
    /// </summary>
    Task RequestVirtioMemSizeAsync(VirtioMemDevice device, long requestedSize, CancellationToken cancellationToken);

    /// <summary>
    /// The command-line arguments that recreate the VM's DIMMs at its next start (see
    /// <see cref="Planning.QemuRestartArguments"/>) and what cannot be recreated; a hypervisor that keeps devices across
    /// restarts itself (libvirt) throws <see cref="HypervisorRefusedException"/> saying so.
    /// </summary>
    Task<(IReadOnlyList<string> Arguments, IReadOnlyList<string> Problems)> RestartArgumentsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Completes when the guest closes the virtio-serial port named <paramref name="portName"/> (the agent died or
    /// stopped), as the hypervisor sees it; never completes where the hypervisor cannot tell. Disposing the returned
    /// watch stops it.
    /// </summary>
    Task<IAgentPortWatch> WatchAgentPortAsync(string portName, CancellationToken cancellationToken);
}
