namespace GuestAgent.Host.State;

/// <summary>
/// What one VM's controller keeps between runs (in the spirit of Ganeti's runtime file): every DIMM it created or adopted,
/// any operation in flight, the last requested memory size, and what it learnt of the guest.
/// </summary>
public sealed class ControllerState
{
    public const int CurrentVersion = 1;

    public int Version { get; set; } = CurrentVersion;

    /// <summary>The VM this state belongs to (<see cref="Hypervisor.VmIdentity.Key"/>); a state file of another VM is refused.</summary>
    public string? Vm { get; set; }

    /// <summary>
    /// The memory asked for, in KubeVirt's sense: the target of the last change that was carried out, even in part
    /// (<c>set-memory</c>'s target; after <c>plug</c> or <c>unplug</c>, the memory they ended at). A request refused before
    /// anything changed, by the controller's checks or by the hypervisor, is not recorded.
    /// </summary>
    public long? RequestedMemory { get; set; }

    /// <summary>Why the last change did not reach what was asked, when it did not (cleared by one that does).</summary>
    public string? LastChangeProblem { get; set; }

    /// <summary>The guest's block size as the agent last reported it.</summary>
    public long? GuestBlockSize { get; set; }

    public List<DimmRecord> Dimms { get; set; } = [];

    /// <summary>A live migration this controller started and has not seen end (a controller that died during it leaves it).</summary>
    public MigrationRecord? Migrating { get; set; }

    /// <summary>The live migrations that completed, oldest first: where the VM has been (kept to the last 20).</summary>
    public List<MigrationRecord> Migrations { get; set; } = [];

    public DimmRecord? Find(string id) => Dimms.FirstOrDefault(d => d.Id == id);

    /// <summary>What loading found worth saying (a state file that held nothing); not written.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? LoadNote { get; init; }
}
