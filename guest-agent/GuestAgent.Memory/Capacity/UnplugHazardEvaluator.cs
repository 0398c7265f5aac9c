using System.Globalization;
using GuestAgent.Memory.Model;
using GuestAgent.Memory.Udev;
using GuestAgent.Protocol.Sizes;

namespace GuestAgent.Memory.Capacity;

/// <summary>
/// Pure: what the kernel exposes that can block or slow an unplug where a DIMM's zones do not show it: huge pages in
/// use, a balloon, <c>memmap_on_memory</c>, udev rules that online memory before this project's drop-in (or without it),
/// and <c>auto_online_blocks</c> changed behind the agent's back.
/// </summary>
public static class UnplugHazardEvaluator
{
    /// <param name="snapshot">The model.</param>
    /// <param name="sample">The memory accounting.</param>
    /// <param name="rules">The rules files that online memory, in udev's order.</param>
    /// <param name="autoOnlineSetByAgent">What the agent wrote to <c>auto_online_blocks</c>, when it manages it.</param>
    public static IReadOnlyList<UnplugHazard> Evaluate(MemorySnapshot snapshot, CapacitySample sample, IReadOnlyList<UdevRule> rules, string? autoOnlineSetByAgent)
    {
        var hazards = new List<UnplugHazard>();
        if (sample.Meminfo is { HugePagesTotal: { } total, HugePagesFree: { } free } meminfo && total > free)
        {
            var size = meminfo.HugePageSizeBytes is { } s ? ByteSize.Approximate(s) : "?";
            hazards.Add(new UnplugHazard("hugetlb",
                $"{Number(total - free)} huge pages ({size}) are in use; offlining a DIMM must move those on it into free huge pages elsewhere and fails when there are none (HugePages_Free: {Number(free)})"));
        }

        var balloon = sample.NodeStatistic("nr_balloon_pages") * sample.PageSize;
        if (balloon > 0)
        {
            hazards.Add(new UnplugHazard("balloon",
                $"a memory balloon holds ~{ByteSize.Approximate(balloon)}; balloon pages on a DIMM are moved by the driver when it is offlined, and deflating the balloon first makes room"));
        }

        if (snapshot.Settings.Parameters.GetValueOrDefault("memmap_on_memory") is "Y" or "y" or "1" or "force")
        {
            hazards.Add(new UnplugHazard("memmap_on_memory",
                "memmap_on_memory is on: hot-added memory carries its own memmap, so a DIMM can only be offlined and removed whole, as it was added"));
        }

        if (autoOnlineSetByAgent is not null && snapshot.Settings.AutoOnlineBlocks is { } now && now != autoOnlineSetByAgent)
        {
            hazards.Add(new UnplugHazard("auto_online_blocks",
                $"auto_online_blocks is '{now}', but the agent set '{autoOnlineSetByAgent}': it was changed outside the agent, which leaves it so; "
                + (PlugBudgetEvaluator.KernelOnlinesIntoKernelZone(snapshot.Settings) is null ? "new memory is onlined as that says" : "new memory now goes into the kernel zone and cannot be unplugged")));
        }

        var own = rules.FirstOrDefault(r => r.IsOwn);
        foreach (var rule in rules.Where(r => r.Unreadable is not null))
        {
            hazards.Add(new UnplugHazard("udev", $"{rule.Path} could not be read ({rule.Unreadable}): whether it onlines hot-added memory, and into which zone, is not known"));
        }

        foreach (var rule in rules.Where(r => !r.IsOwn && r.Unreadable is null))
        {
            if (own is null)
            {
                hazards.Add(new UnplugHazard("udev",
                    $"{rule.Path} onlines hot-added memory and this project's drop-in ({UdevRuleDirectories.OwnRuleName}) is not installed: "
                    + "whenever the agent is not running, that rule decides the zone (RHEL's rule onlines into the kernel zone inside VMs)"));
            }
            else if (string.CompareOrdinal(rule.Name, own.Name) < 0)
            {
                hazards.Add(new UnplugHazard("udev",
                    $"{rule.Path} onlines hot-added memory before this project's drop-in ({own.Name}) runs: new memory may land in the kernel zone; rename or remove it"));
            }
        }

        return hazards;
    }

    private static string Number(long n) => n.ToString(CultureInfo.InvariantCulture);
}
