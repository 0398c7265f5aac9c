using GuestAgent.Memory.Agent;
using GuestAgent.Memory.Capacity;
using GuestAgent.Memory.Model;
using GuestAgent.Protocol.Payloads;

namespace GuestAgent.Reporting;

/// <summary>
/// Pure: <c>MEMORY_STATUS</c> from the agent's view (refreshed with a fresh reading of the guest's accounting) and PSI:
/// the guest's memory and pressure, and per hot-plugged device what it can give back now under the same readiness
/// and capacity rules as the model (a ready DIMM all of it, any other DIMM nothing, a virtio-mem device its
/// unpluggable part).
/// </summary>
public static class MemoryStatusBuilder
{
    public static MemoryStatusData Build(MemoryAgentView view, MemoryPressure? pressure)
    {
        var problems = new List<string>();
        if (view.Capacity.Problem is { } unreadable)
        {
            problems.Add(unreadable);
        }

        if (pressure is null)
        {
            problems.Add("no PSI for memory (/proc/pressure/memory: a kernel without CONFIG_PSI, or booted with psi=0)");
        }

        return new MemoryStatusData
        {
            Total = view.Capacity.Problem is null ? view.Capacity.Meminfo?.TotalBytes : null,
            Available = view.Capacity.AvailableBytes,
            Pressure = pressure is null ? null : new MemoryPressureReport { SomeAvg10 = pressure.SomeAverage10, FullAvg10 = pressure.FullAverage10 },
            Problem = problems.Count == 0 ? null : string.Join("; ", problems),
            Headroom = view.UnplugHeadroom,
            PlugBudget = view.PlugBudget.Bytes,
            Devices = view.Snapshot.Dimms
                .Where(d => d.Kind != DimmKind.Boot && view.Readiness.ContainsKey(d.Id))
                .Select(d => Device(d, view.Readiness[d.Id]))
                .ToList(),
        };
    }

    private static DeviceStatusReport Device(Dimm dimm, Memory.Readiness.DimmReadiness readiness) => new()
    {
        Id = dimm.Id,
        Kind = ModelReportBuilder.Format(dimm.Kind),
        Slot = dimm.Slot,
        Start = dimm.StartAddress,
        Size = dimm.Kind == DimmKind.VirtioMem ? readiness.VirtioMem?.Plugged ?? 0 : dimm.SizeBytes,
        CanGo = dimm.Kind == DimmKind.VirtioMem ? readiness.UnpluggableBytes ?? 0 : readiness.IsReady ? dimm.SizeBytes : 0,
        Reason = readiness.Reason,
    };
}
