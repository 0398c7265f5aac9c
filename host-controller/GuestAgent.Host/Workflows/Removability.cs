using GuestAgent.Host.Agent;

namespace GuestAgent.Host.Workflows;

/// <summary>
/// Pure: may this DIMM be released now, and how? The one rule <c>unplug</c> and <c>set-memory</c> both follow,
/// whether QEMU calls the DIMM hot-plugged or not (DIMMs on the command line are DIMMs too): the guest's word decides;
/// without it, or against it, only <c>--force</c> goes ahead.
/// </summary>
public static class Removability
{
    /// <param name="name">The DIMM's name, for messages.</param>
    /// <param name="guest">The guest's view of it; null when the guest does not see its memory (or no agent).</param>
    /// <param name="agentProblem">Why there is no agent; null when one answered.</param>
    /// <param name="force">The user's <c>--force</c>.</param>
    /// <param name="canForcePrepare">The agent takes <c>force</c> in <c>prepare-unplug</c>.</param>
    public static RemovalDecision Decide(string name, GuestDimm? guest, string? agentProblem, bool force, bool canForcePrepare)
    {
        if (agentProblem is not null)
        {
            return force
                ? new RemovalDecision(true, PrepareMode.None, ForceNote: $"--force: unplugging {name} without the guest agent ({agentProblem})")
                : new RemovalDecision(false, PrepareMode.None, $"the guest agent is not answering ({agentProblem}), so whether the guest can let go of {name} is unknown; --force unplugs anyway (see --help for what that risks)");
        }

        if (guest is null)
        {
            return force
                ? new RemovalDecision(true, PrepareMode.None, ForceNote: $"--force: the guest does not see {name}'s memory; asking the hypervisor anyway")
                : new RemovalDecision(false, PrepareMode.None, $"the guest does not see {name}'s memory; --force asks the hypervisor anyway");
        }

        switch (guest.Readiness)
        {
            case GuestReadiness.Ready:
                return new RemovalDecision(true, PrepareMode.Prepare);
            case GuestReadiness.NotReady when guest.BlockedByCapacity && force && canForcePrepare:
                return new RemovalDecision(true, PrepareMode.ForcedPrepare,
                    ForceNote: $"--force: {name} does not fit into the rest of the guest ({guest.Reason}); the guest offlines it anyway and may run short of memory (it still stops and rolls back if it stalls)");
            case GuestReadiness.BootMemory:
                return new RemovalDecision(false, PrepareMode.None, $"{name} is boot memory to the guest and cannot be unplugged");
            default:
                var why = $"{guest.Report.Readiness}: {guest.Reason}";
                return force
                    ? new RemovalDecision(true, PrepareMode.None, ForceNote: $"--force: {name} is not ready in the guest ({why}); asking the hypervisor anyway: the guest kernel decides, and may refuse (_OST 0x82) or give up memory it needs")
                    : new RemovalDecision(false, PrepareMode.None, $"the guest says it is not ready ({why}); --force asks the hypervisor anyway");
        }
    }
}
