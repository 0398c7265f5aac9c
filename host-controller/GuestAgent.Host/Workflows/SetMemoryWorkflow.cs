using GuestAgent.Host.Agent;
using GuestAgent.Host.Operations;
using GuestAgent.Host.Planning;
using GuestAgent.Host.State;
using GuestAgent.Protocol.Model;
using GuestAgent.Protocol.Sizes;

namespace GuestAgent.Host.Workflows;

/// <summary>
/// <c>set-memory SIZE</c>: grows by one DIMM (rounded up), or releases the DIMMs that best fit the decrease among
/// those the guest can let go of, under the same rule as <c>unplug</c>, and that fit together into what the guest can
/// give up now; says which it left in and why. Boot memory stays. A VM with a virtio-mem device is resized through it
/// (<see cref="VirtioMemResizeWorkflow"/>).
/// </summary>
public static class SetMemoryWorkflow
{
    /// <summary>Returns the memory the VM ends with.</summary>
    public static async Task<long> RunAsync(HostSession session, long target, bool force, CancellationToken cancellationToken)
    {
        var (memory, limits) = await session.ReadAsync(cancellationToken).ConfigureAwait(false);
        ModelReport? model = session.Agent is null ? null : await session.Agent.ModelSeeingAsync(memory, session.Options.AgentTimeout, cancellationToken).ConfigureAwait(false);
        if (memory.VirtioMem.Count > 0)
        {
            return await VirtioMemResizeWorkflow.RunAsync(session, memory, model, target, force, cancellationToken).ConfigureAwait(false);
        }

        var layout = memory.Layout;
        if (target < layout.Current && model is null && !force)
        {
            throw new HostCommandException($"refusing to shrink: the guest agent is not answering ({session.AgentProblem}), so which DIMMs the guest can let go of is unknown; --force shrinks anyway");
        }

        var candidates = new List<UnplugCandidate>();
        var skipped = new List<string>();
        foreach (var dimm in memory.Dimms)
        {
            if (session.State.Find(dimm.Name) is { Operation: not DimmOperation.None } busy)
            {
                skipped.Add($"{dimm.Name} ({GuestSteps.Describe(busy.Operation)})");
                continue;
            }

            var guest = model is null ? null : GuestDimm.Find(model, dimm);
            var decision = Removability.Decide(dimm.Name, guest, model is null ? session.AgentProblem : null, force, session.Agent?.CanForcePrepare ?? false);
            if (!decision.Allowed)
            {
                skipped.Add($"{dimm.Name} ({(guest is null ? "not seen by the guest" : $"{(guest.Readiness == GuestReadiness.NotReady ? "not ready" : guest.Report.Readiness)}: {guest.Reason}")})");
                continue;
            }

            candidates.Add(new UnplugCandidate(dimm.Name, dimm.Size, dimm.Slot, guest?.UnplugCost));
        }

        MemoryChangePlan plan;
        try
        {
            plan = MemoryChangePlanner.Plan(target, layout, limits, candidates, force ? null : model?.Capacity?.Headroom);
        }
        catch (InvalidOperationException e)
        {
            throw new HostCommandException(e.Message + (skipped.Count > 0 ? $" (skipped: {string.Join(", ", skipped)})" : ""), e);
        }

        session.Say("plan", $"memory {ByteSize.Format(plan.Current)} → {ByteSize.Format(plan.Resulting)} (asked {ByteSize.Format(target)})"
            + (plan.Note is null ? "" : $": {plan.Note}") + (skipped.Count > 0 ? $"; skipped {string.Join(", ", skipped)}" : ""));
        foreach (var left in plan.LeftForCapacity)
        {
            session.Say("skipped", $"left {left.Id} ({ByteSize.Format(left.Size)}) in: together with the DIMMs chosen it would leave the guest short (it can give up ~{ByteSize.Approximate(model?.Capacity?.Headroom ?? 0)} of online memory now)", left.Id);
        }

        var failures = new List<string>();
        switch (plan.Kind)
        {
            case MemoryChangeKind.Grow:
                await PlugWorkflow.RunAsync(session, plan.GrowBy, null, force, cancellationToken).ConfigureAwait(false);
                break;
            case MemoryChangeKind.Shrink:
                foreach (var candidate in plan.Release)
                {
                    try
                    {
                        await UnplugWorkflow.RunAsync(session, candidate.Id, force, cancellationToken).ConfigureAwait(false);
                    }
                    catch (HostCommandException e)
                    {
                        failures.Add(e.Message);
                        session.Say("failed", "  " + e.Message, candidate.Id);
                    }
                }

                break;
        }

        var ended = (await session.Hypervisor.ReadMemoryAsync(cancellationToken).ConfigureAwait(false)).Layout.Current;
        var changed = ended != layout.Current || plan.Kind == MemoryChangeKind.Nothing;
        if (changed)
        {
            // KubeVirt's "requested": what was asked, once the change was carried out (even in part).
            session.State.RequestedMemory = target;
            session.State.LastChangeProblem = failures.Count > 0
                ? $"{failures.Count} of {plan.Release.Count} DIMMs could not be released"
                : ended != target ? plan.Note ?? $"ended at {ByteSize.Format(ended)}" : null;
            session.Save();
        }

        if (failures.Count > 0)
        {
            throw new HostCommandException($"{failures.Count} of {plan.Release.Count} DIMMs could not be released; memory is {ByteSize.Format(ended)}");
        }

        return ended;
    }
}
