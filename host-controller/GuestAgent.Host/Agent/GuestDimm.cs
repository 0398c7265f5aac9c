using GuestAgent.Protocol.Model;

namespace GuestAgent.Host.Agent;

/// <summary>What the guest reports of one DIMM, parsed for decisions: readiness and what blocks it.</summary>
public sealed record GuestDimm(DimmReport Report)
{
    public GuestReadiness Readiness => Report.Readiness switch
    {
        "ready" => GuestReadiness.Ready,
        "not-ready" => GuestReadiness.NotReady,
        "busy" => GuestReadiness.Busy,
        "boot-memory" => GuestReadiness.BootMemory,
        _ => GuestReadiness.Unknown,
    };

    /// <summary>Not ready only because what it holds does not fit into the rest of the guest (a newer agent's capacity check).</summary>
    public bool BlockedByCapacity => Readiness == GuestReadiness.NotReady && Report.Blocker is "capacity";

    /// <summary>What an unplug takes from the guest: its online bytes, or all of it from an agent that does not say.</summary>
    public long UnplugCost => Report.OnlineBytes ?? Report.Size;

    public string Reason => Report.Reason;

    /// <summary>
    /// The guest's view of a virtio-mem device: the region that starts at its address; where the hypervisor does not
    /// say the address (libvirt's XML before it shows <c>target/address base</c>), the guest's only virtio-mem region
    /// of the device's size.
    /// </summary>
    public static GuestDimm? FindVirtioMem(ModelReport model, Hypervisor.VirtioMemDevice device)
    {
        var regions = model.Dimms.Where(d => d.Kind == DimmKinds.VirtioMem).ToList();
        var ofItsSize = regions.Where(d => d.Size == device.MaxSize).ToList();
        var report = device.Addr != 0
            ? regions.FirstOrDefault(d => d.Start == device.Addr)
            : ofItsSize.Count == 1 ? ofItsSize[0] : null;
        return report is null ? null : new GuestDimm(report);
    }

    /// <summary>The guest's DIMM for a hypervisor DIMM: the ACPI slot, checked against the address; else a block range at its address.</summary>
    public static GuestDimm? Find(ModelReport model, Hypervisor.HypervisorDimm dimm) =>
        (model.Dimms.FirstOrDefault(d => d.Kind == DimmKinds.Acpi && d.Slot == dimm.Slot && (d.Start == dimm.Addr || d.Blocks.Count == 0))
         ?? model.Dimms.FirstOrDefault(d => d.Kind == DimmKinds.Range && d.Start == dimm.Addr && d.Size == dimm.Size)) is { } report
            ? new GuestDimm(report)
            : null;

    /// <summary>
    /// Whether the guest's model agrees with what the hypervisor lists: every DIMM found, each virtio-mem device's
    /// plugged memory counted as the hypervisor's size, and nothing the hypervisor does not list.
    /// </summary>
    public static bool Agrees(ModelReport model, Hypervisor.HypervisorMemory memory) =>
        memory.Dimms.All(d => Find(model, d) is not null)
        && memory.VirtioMem.All(d => (FindVirtioMem(model, d)?.Report.Plugged ?? 0) == d.Size)
        && GuestOnly(model, memory).Count == 0;

    /// <summary>
    /// Memory the guest reports in DIMMs or virtio-mem regions that the hypervisor does not list (its ids): normally none.
    /// Right after a removal the agent may not have reread sysfs yet (<see cref="AgentLink.ModelSeeingAsync"/> asks it to).
    /// </summary>
    public static IReadOnlyList<string> GuestOnly(ModelReport model, Hypervisor.HypervisorMemory memory)
    {
        var matched = new HashSet<string>(StringComparer.Ordinal);
        foreach (var dimm in memory.Dimms)
        {
            if (Find(model, dimm) is { } guest)
            {
                matched.Add(guest.Report.Id);
            }
        }

        foreach (var device in memory.VirtioMem)
        {
            if (FindVirtioMem(model, device) is { } guest)
            {
                matched.Add(guest.Report.Id);
            }
        }

        return model.Dimms.Where(d => d.Kind != DimmKinds.Boot && !matched.Contains(d.Id)).Select(d => d.Id).ToList();
    }
}
