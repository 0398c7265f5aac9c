using GuestAgent.Memory.Model;
using GuestAgent.Memory.Sysfs;

namespace GuestAgent.Memory.Agent;

/// <summary>
/// Reads the model from sysfs; the first read after the agent starts records which DIMMs were there (present at boot,
/// kept in the runtime directory so a restarted agent within the same boot keeps the answer).
/// </summary>
public sealed class SnapshotSource(SysfsMemoryReader reader, BootInventory bootInventory)
{
    private readonly Lock _lock = new();
    private IReadOnlySet<int>? _bootSlots;

    public MemorySnapshot Read()
    {
        IReadOnlySet<int>? bootSlots;
        lock (_lock)
        {
            bootSlots = _bootSlots;
        }

        var snapshot = reader.Read(bootSlots);
        if (bootSlots is not null)
        {
            return snapshot;
        }

        var present = snapshot.Dimms.Where(d => d.Kind == DimmKind.Acpi && d.Slot is not null).Select(d => d.Slot!.Value);
        lock (_lock)
        {
            _bootSlots ??= bootInventory.LoadOrRecord(present);
            bootSlots = _bootSlots;
        }

        return snapshot with { Dimms = Mapping.DimmMapper.WithBootSlots(snapshot.Dimms, bootSlots) };
    }
}
