namespace GuestAgent.Host.State;

/// <summary>
/// What one VM's controller keeps between runs (in the spirit of Ganeti's runtime file): every DIMM it created or adopted,
/// any operation in flight, the last requested memory size, and what it learnt of the guest.
/// </summary>
public sealed class ControllerState
{
    public const int CurrentVersion = 1;

    public int Version { get; set; } = CurrentVersion;

    /// <summary>The last <c>set-memory</c> target, in bytes.</summary>
    public long? RequestedMemory { get; set; }

    /// <summary>The guest's block size as the agent last reported it.</summary>
    public long? GuestBlockSize { get; set; }

    public List<DimmRecord> Dimms { get; set; } = [];

    public DimmRecord? Find(string id) => Dimms.FirstOrDefault(d => d.Id == id);
}
