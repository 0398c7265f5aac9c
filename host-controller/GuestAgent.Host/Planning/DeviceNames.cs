using System.Globalization;

namespace GuestAgent.Host.Planning;

/// <summary>
/// The ids of a DIMM this controller creates: <c>ga-dimmN</c> and its backend <c>ga-memN</c>, N the lowest number
/// neither QEMU nor the state file uses. Reproducible: the same VM state gives the same ids.
/// </summary>
public sealed record DeviceNames(string Device, string Backend)
{
    public const string DevicePrefix = "ga-dimm";
    public const string BackendPrefix = "ga-mem";

    /// <param name="usedIds">Ids and backends the hypervisor and the state file use.</param>
    /// <param name="devicePrefix">The hypervisor's prefix (<c>ga-dimm</c>; libvirt's aliases: <c>ua-ga-dimm</c>).</param>
    public static DeviceNames Next(IEnumerable<string> usedIds, string devicePrefix = DevicePrefix)
    {
        var used = new HashSet<string>(usedIds, StringComparer.Ordinal);
        for (var n = 0; ; n++)
        {
            var names = new DeviceNames(
                devicePrefix + n.ToString(CultureInfo.InvariantCulture),
                BackendPrefix + n.ToString(CultureInfo.InvariantCulture));
            if (!used.Contains(names.Device) && !used.Contains(names.Backend))
            {
                return names;
            }
        }
    }
}
