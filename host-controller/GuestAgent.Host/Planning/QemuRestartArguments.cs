using System.Globalization;
using GuestAgent.Host.Hypervisor;

namespace GuestAgent.Host.Planning;

/// <summary>
/// Pure: the QEMU arguments that recreate a VM's DIMMs exactly at its next start (Ganeti's runtime file): for each,
/// its backend (<c>-object TYPE,id=…,size=…</c>) and its device (<c>-device pc-dimm,id=…,memdev=…,slot=…,addr=…,node=…</c>),
/// in slot order, so a restarted VM (or the destination of a migration, started with <c>-incoming</c>) has the same
/// ids, slots and addresses, and the controller adopts them as they are. The VM must also be started with the same
/// <c>-m</c> (slots, maxmem) and NUMA nodes.
/// </summary>
public static class QemuRestartArguments
{
    /// <param name="dimms">The DIMMs as the hypervisor lists them.</param>
    /// <param name="backendTypes">Backend id → its QOM type (<c>memory-backend-ram</c>, …).</param>
    /// <param name="problems">What cannot be recreated this way, for people.</param>
    public static IReadOnlyList<string> Build(IEnumerable<HypervisorDimm> dimms, IReadOnlyDictionary<string, string> backendTypes, out IReadOnlyList<string> problems)
    {
        var arguments = new List<string>();
        var found = new List<string>();
        foreach (var dimm in dimms.OrderBy(d => d.Slot ?? int.MaxValue))
        {
            if (dimm.Id is null || dimm.Backend is null || dimm.Slot is null)
            {
                found.Add($"{dimm.Name} has no id{(dimm.Backend is null ? " or backend" : "")}: QEMU cannot be told to recreate it by name (give it an id when it is plugged)");
                continue;
            }

            var type = backendTypes.GetValueOrDefault(dimm.Backend, "memory-backend-ram");
            if (type != "memory-backend-ram")
            {
                found.Add($"{dimm.Name}'s backend {dimm.Backend} is a {type}: its other properties (a path, sharing) are not known here; written as memory-backend-ram");
            }

            var c = CultureInfo.InvariantCulture;
            arguments.Add("-object");
            arguments.Add(string.Create(c, $"memory-backend-ram,id={dimm.Backend},size={dimm.Size}"));
            arguments.Add("-device");
            arguments.Add(string.Create(c, $"pc-dimm,id={dimm.Id},memdev={dimm.Backend},slot={dimm.Slot},addr=0x{dimm.Addr:x},node={dimm.Node}"));
        }

        problems = found;
        return arguments;
    }
}
