namespace GuestAgent.Host.Operations;

/// <summary><c>status</c>: the hypervisor's view joined with the guest's, with totals in KubeVirt's terms.</summary>
public sealed record StatusReport
{
    /// <summary>The backend: <c>QEMU 7.2.0 (QMP /run/vm/qmp.sock)</c>.</summary>
    public required string Hypervisor { get; init; }

    /// <summary>Which VM (the key the lock and state file are named after).</summary>
    public required string Vm { get; init; }

    public required string StateFile { get; init; }

    /// <summary>
    /// Another controller holding this VM's lock now, for people (<c>guest-agent-host pid 1234 (unplug ga-dimm0, since
    /// 12:00:01)</c>): what it does may change what this report shows. Null when none.
    /// </summary>
    public string? HeldBy { get; init; }

    /// <summary>
    /// Why the hypervisor was not asked, when it was not (its only monitor is held by <see cref="HeldBy"/>): the report
    /// is then the state file's, as that controller last wrote it. Null for a live report.
    /// </summary>
    public string? NotLive { get; init; }

    /// <summary>The VM's side of a live migration when one holds it or it arrived by one (<c>migrated away: …</c>); null when none.</summary>
    public string? Migration { get; init; }

    /// <summary>The last live migration this controller recorded (where to, when, its downtime), or null.</summary>
    public string? LastMigration { get; init; }

    public required long BootMemory { get; init; }

    public required long CurrentMemory { get; init; }

    /// <summary>The target of the last change carried out (even in part); the current memory when none was asked.</summary>
    public required long RequestedMemory { get; init; }

    /// <summary>Why the last change did not reach what was asked, when it did not.</summary>
    public string? LastChangeProblem { get; init; }

    public long? MaxMemory { get; init; }

    /// <summary>Room under maxmem for more DIMMs.</summary>
    public long? RoomLeft { get; init; }

    public int? Slots { get; init; }

    public required int SlotsUsed { get; init; }

    public int? FreeSlots { get; init; }

    public required bool AgentConnected { get; init; }

    /// <summary>Why the agent is not connected, when it is not.</summary>
    public string? AgentProblem { get; init; }

    public string? AgentVersion { get; init; }

    public string? GuestPolicy { get; init; }

    public long? GuestBlockSize { get; init; }

    /// <summary>The guest's <c>MemAvailable</c>, from an agent with the capacity check.</summary>
    public long? GuestAvailable { get; init; }

    /// <summary>How much online DIMM memory the guest can give up now (a shrink's DIMMs must fit in it together).</summary>
    public long? GuestHeadroom { get; init; }

    /// <summary>How much more memory the guest can take and still give back (plug refuses more without --force).</summary>
    public long? PlugBudget { get; init; }

    public string? PlugBudgetReason { get; init; }

    /// <summary>What the guest says can stand in the way of an unplug beyond the zones.</summary>
    public IReadOnlyList<string> GuestWarnings { get; init; } = [];

    /// <summary>DIMMs the agent onlined again at start because an earlier agent died while unplugging them.</summary>
    public IReadOnlyList<string> GuestRecoveries { get; init; } = [];

    /// <summary>Guest-reported memory in DIMMs that the hypervisor does not list (should be empty).</summary>
    public IReadOnlyList<string> GuestOnly { get; init; } = [];

    public required IReadOnlyList<DimmStatus> Dimms { get; init; }

    /// <summary>Its virtio-mem devices, resized by <c>set-memory</c> when there are any.</summary>
    public IReadOnlyList<VirtioMemStatus> VirtioMem { get; init; } = [];
}
