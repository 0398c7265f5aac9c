using GuestAgent.Memory.Model;
using GuestAgent.Memory.Operations;
using GuestAgent.Memory.Policy;
using GuestAgent.Memory.Udev;
using Microsoft.Extensions.Logging;

namespace GuestAgent.Memory.Agent;

/// <summary>
/// One reconcile: sysfs is the truth, so it reads the model, notes what changed outside the agent, onlines what the
/// policy says, rereads, finds conflicting udev rules, forgets journal entries of DIMMs that are gone, publishes, keeps
/// the kernel's own onlining in step, and looks again soon at offline blocks not yet linked to their DIMM.
/// </summary>
public sealed class Reconciler(
    AgentState state,
    SnapshotSource snapshots,
    OnlineExecutor executor,
    UdevRuleScanner udev,
    UnplugJournal journal,
    KernelOnliningSettings settings,
    ReconcileLoop loop,
    AgentPublisher publisher,
    ILogger logger)
{
    /// <summary>How many times to look again for blocks that are offline but not yet linked to their ACPI DIMM.</summary>
    private const int MaxUnmappedRechecks = 5;

    private int _unmappedRechecks;
    private bool _startSeen;

    /// <summary>What <c>auto_online_blocks</c> said when the agent started (to tell who put a DIMM in a kernel zone).</summary>
    public string? AutoOnlineAtStart { get; set; }

    /// <summary>Whether the agent runs (the kernel's onlining is kept in step only then).</summary>
    public bool Running { get; set; }

    /// <summary>Reads sysfs, onlines per policy, publishes changes. Serialized with other reconciles and operations.</summary>
    public async Task<MemoryAgentView> ReconcileAsync(string reason, CancellationToken cancellationToken)
    {
        await state.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            logger.LogDebug("Reconcile ({Reason})", reason);
            var snapshot = snapshots.Read();
            TrackOutsideChanges(snapshot);
            IReadOnlyList<DimmOnlinePlan> plans;
            OnlinePolicy policy;
            lock (state.Lock)
            {
                policy = state.Policy;
                if (!_startSeen)
                {
                    _startSeen = true;
                    RecordFoundInKernelZone(snapshot);
                }

                plans = OnlinePlanner.Plan(snapshot, policy, state.Book.IsEligible);
            }

            foreach (var plan in plans)
            {
                logger.LogInformation("Onlining {Count} block(s) of {Dimm} into {Zone}: {Reason}", plan.BlockIds.Count, plan.Dimm.Id, plan.Zone, plan.Reason);
                var outcomes = await executor.ExecuteAsync(plan, cancellationToken).ConfigureAwait(false);
                lock (state.Lock)
                {
                    state.Book.Record(outcomes);
                    state.Book.RecordOnlined(plan.Dimm, plan.Reason + (outcomes.Any(o => o.FellBackToKernelZone) ? "; Movable was refused, so it went to the kernel zone" : ""));
                }
            }

            if (plans.Count > 0)
            {
                snapshot = snapshots.Read();
            }

            var rules = udev.Scan();
            lock (state.Lock)
            {
                state.Rules = rules;
            }

            if (journal.HasEntries)
            {
                ForgetUnpluggedFromJournal(snapshot);
            }

            var view = publisher.Publish(snapshot);
            if (Running)
            {
                settings.Apply(snapshot, policy);
            }

            ScheduleRecheckIfUnmapped(snapshot);
            return view;
        }
        finally
        {
            state.Gate.Release();
        }
    }

    /// <summary>Blocks offlined by someone else stay offline: the book stops the planner from onlining them again.</summary>
    public void TrackOutsideChanges(MemorySnapshot snapshot)
    {
        IReadOnlyList<MemoryBlock> left;
        lock (state.Lock)
        {
            left = state.Book.TrackOutsideChanges(publisher.View.Snapshot, snapshot);
        }

        foreach (var block in left)
        {
            logger.LogInformation("{Block} was offlined outside the agent; leaving it offline", block.Name);
        }
    }

    /// <summary>
    /// On the first reconcile: DIMMs already online in a kernel zone were put there before this agent started (at
    /// boot, by the kernel's own onlining, a rule or an administrator: sysfs cannot tell a DIMM present at boot from one
    /// plugged before the agent's first start); the reason says what <c>auto_online_blocks</c> suggests.
    /// </summary>
    private void RecordFoundInKernelZone(MemorySnapshot snapshot)
    {
        foreach (var dimm in snapshot.Dimms.Where(d => d.Kind != DimmKind.Boot))
        {
            if (snapshot.BlocksOf(dimm).Any(b => b.State == BlockState.Online && b.Zone is { } zone && zone != ZoneNames.Movable))
            {
                state.Book.RecordFound(dimm, FoundInKernelZoneReason(AutoOnlineAtStart));
            }
        }
    }

    internal static string FoundInKernelZoneReason(string? autoOnlineAtStart) =>
        (autoOnlineAtStart is "online" or "online_kernel"
            ? $"onlined there before the agent started, most likely by the kernel itself: auto_online_blocks was {autoOnlineAtStart} "
              + "(the default of kernels built with MHP_DEFAULT_ONLINE_TYPE_ONLINE_AUTO, such as Debian's and RHEL 10's 6.12)"
            : "onlined there before the agent started: at boot, by a udev rule or by an administrator")
        + "; make-movable moves it into Movable if what it holds can move";

    /// <summary>Journal entries of DIMMs that are gone (unplugged while the agent held them) go too.</summary>
    private void ForgetUnpluggedFromJournal(MemorySnapshot snapshot)
    {
        foreach (var entry in journal.Load())
        {
            if (snapshot.FindDimmById(entry.Dimm) is not { } dimm || !entry.IsOf(dimm))
            {
                logger.LogDebug("{Dimm} is gone: its unplug journal entry goes", entry.Dimm);
                journal.Remove(entry.Dimm);
            }
        }
    }

    /// <summary>Offline blocks that belong to no ACPI DIMM yet, on a guest that has ACPI DIMMs, may still be getting linked.</summary>
    private void ScheduleRecheckIfUnmapped(MemorySnapshot snapshot)
    {
        bool unmapped;
        lock (state.Lock)
        {
            unmapped = snapshot.AcpiDevices.Count > 0 && snapshot.Dimms
                .Where(d => d.Kind == DimmKind.Boot)
                .SelectMany(snapshot.BlocksOf)
                .Any(b => b.State == BlockState.Offline && state.Book.IsEligible(b));
        }

        if (!unmapped)
        {
            _unmappedRechecks = 0;
            return;
        }

        if (_unmappedRechecks++ < MaxUnmappedRechecks)
        {
            loop.RequestAfter(TimeSpan.FromSeconds(1), "offline blocks not yet linked to a DIMM");
        }
        else if (_unmappedRechecks == MaxUnmappedRechecks + 1)
        {
            logger.LogWarning("Some offline blocks belong to no ACPI memory device; leaving them offline");
        }
    }
}
