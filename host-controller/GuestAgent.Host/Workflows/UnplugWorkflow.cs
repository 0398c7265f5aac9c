using System.Diagnostics;
using GuestAgent.Host.Agent;
using GuestAgent.Host.Hypervisor;
using GuestAgent.Host.Operations;
using GuestAgent.Host.State;
using GuestAgent.Protocol.Client;
using GuestAgent.Protocol.Messages;
using GuestAgent.Protocol.Sizes;

namespace GuestAgent.Host.Workflows;

/// <summary>
/// <c>unplug ID</c>: the guest prepares (offlines) the DIMM, then the hypervisor removes it and its leftovers. On the
/// guest's or the hypervisor's refusal, a timeout, or the agent going away, the guest onlines it again and the DIMM
/// stays; what is said about where it is afterwards is read back from the hypervisor, never assumed.
/// </summary>
public static class UnplugWorkflow
{
    public static async Task RunAsync(HostSession session, string name, bool force, CancellationToken cancellationToken)
    {
        await session.RefuseDuringMigrationAsync($"unplug {Printable.Of(name)}", cancellationToken).ConfigureAwait(false);
        var memory = await session.Hypervisor.ReadMemoryAsync(cancellationToken).ConfigureAwait(false);
        var dimm = memory.Find(name) ?? throw new HostCommandException($"no DIMM '{Printable.Of(name)}'; the hypervisor has: {Names(memory)}");
        var record = session.State.Find(dimm.Name) ?? throw new HostCommandException($"'{dimm.Name}' is not in the state file {session.StatePath}; run status once to adopt it");
        if (record.Operation != DimmOperation.None)
        {
            throw new HostCommandException($"{dimm.Name} is already being worked on: {GuestSteps.Describe(record.Operation)} since {record.OperationStarted:u}");
        }

        var total = Stopwatch.StartNew();
        var slot = dimm.Slot ?? throw new HostCommandException($"{dimm.Name} has no slot");
        GuestDimm? guest = null;
        if (session.Agent is not null)
        {
            guest = GuestDimm.Find(await session.Agent.ModelSeeingAsync(memory, session.Options.AgentTimeout, cancellationToken).ConfigureAwait(false), dimm);
        }

        var decision = Removability.Decide(dimm.Name, guest, session.Agent is null ? session.AgentProblem : null, force, session.Agent?.CanForcePrepare ?? false);
        if (!decision.Allowed)
        {
            throw new HostCommandException($"refusing to unplug {dimm.Name} (slot {slot}): {decision.Refusal}");
        }

        if (decision.ForceNote is { } note)
        {
            session.Say("forced", note, dimm.Name);
        }

        record.Begin(DimmOperation.Preparing, session.Time.GetUtcNow());
        session.Save();
        if (decision.Mode != PrepareMode.None)
        {
            await PrepareAsync(session, record, dimm, slot, decision.Mode == PrepareMode.ForcedPrepare, cancellationToken).ConfigureAwait(false);
        }

        record.Begin(DimmOperation.Deleting, session.Time.GetUtcNow());
        session.Save();
        UnplugResult result;
        try
        {
            result = await session.Hypervisor.UnplugAsync(dimm, session.Options.UnplugTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (HypervisorRefusedException e)
        {
            await RollBackAsync(session, record, slot, cancellationToken).ConfigureAwait(false);
            throw new HostCommandException($"{e.Message}; {await WhereItIsAsync(session, dimm, cancellationToken).ConfigureAwait(false)}", e);
        }

        switch (result.Outcome)
        {
            case UnplugOutcome.Refused:
                await RollBackAsync(session, record, slot, cancellationToken).ConfigureAwait(false);
                throw new HostCommandException($"the guest refused to eject {dimm.Name}: {result.Detail}; {await WhereItIsAsync(session, dimm, cancellationToken).ConfigureAwait(false)}");
            case UnplugOutcome.HypervisorGone:
                // The VM went with it: there is no guest left to online the DIMM again, and nothing to remove.
                record.Finish();
                session.Save();
                throw new HostCommandException(
                    $"{result.Detail}. The VM is gone, and {dimm.Name} with it: the guest stopped too, so it could not be asked to keep the DIMM, and nothing is left to undo. "
                    + $"The state file keeps {dimm.Name} until a controller sees this VM again");
            case UnplugOutcome.TimedOut:
                await RollBackAsync(session, record, slot, cancellationToken).ConfigureAwait(false);
                throw new HostCommandException($"{result.Detail}; the guest was told to keep it (if the hypervisor removes it later, the next command cleans up)");
        }

        if (result.LeftoversRemoved)
        {
            session.State.Dimms.Remove(record);
        }
        else
        {
            record.Begin(DimmOperation.RemovingBackend, session.Time.GetUtcNow());
            session.Say("warning", $"warning: the backend {record.Backend} is still in use; the next command removes it", dimm.Name);
        }

        session.State.RequestedMemory = memory.Layout.Current - dimm.Size;
        session.State.LastChangeProblem = null;
        session.Save();
        session.Say("unplugged", $"unplugged {dimm.Name}: {ByteSize.Format(dimm.Size)} from slot {slot} at {ByteSize.Address(dimm.Addr)} (removal {result.Elapsed.TotalSeconds:0.00} s, whole unplug {total.Elapsed.TotalSeconds:0.00} s)", dimm.Name);
    }

    private static async Task PrepareAsync(HostSession session, DimmRecord record, HypervisorDimm dimm, int slot, bool force, CancellationToken cancellationToken)
    {
        var prepare = Stopwatch.StartNew();
        using var port = await session.Hypervisor.WatchAgentPortAsync(session.Options.AgentPortName, cancellationToken).ConfigureAwait(false);
        try
        {
            var result = await session.Agent!.PrepareUnplugAsync(slot, force, session.Options.PrepareTimeout, cancellationToken, port.Closed).ConfigureAwait(false);
            record.GuestPrepared = true;
            session.Save();
            session.Say("guest-prepared", $"guest offlined {result.Blocks.Count} blocks of {dimm.Name} in {prepare.Elapsed.TotalSeconds:0.00} s", dimm.Name);
        }
        catch (ProtocolErrorException e)
        {
            record.Finish();
            session.Save();
            var where = await WhereItIsAsync(session, dimm, cancellationToken).ConfigureAwait(false);
            throw new HostCommandException(e.Error.Class == ErrorClasses.InsufficientMemory
                ? $"the guest would run short of memory without {dimm.Name}: {e.Error.Desc}; the hypervisor was not asked, {where}" + (force ? "" : "; --force offlines it anyway (see --help)")
                : $"the guest could not offline {dimm.Name}: {e.Error.Desc}{(e.Error.Errno is null ? "" : $" ({e.Error.Errno})")}; the hypervisor was not asked, {where}", e);
        }
        catch (AgentUnavailableException e)
        {
            record.Finish();
            session.Save();
            throw new HostCommandException($"{e.Message}; the hypervisor was not asked, {await WhereItIsAsync(session, dimm, cancellationToken).ConfigureAwait(false)} (a restarted agent onlines any block left offline)", e);
        }
    }

    private static async Task RollBackAsync(HostSession session, DimmRecord record, int slot, CancellationToken cancellationToken)
    {
        if (session.Agent is not null)
        {
            await GuestSteps.CancelAsync(session, record.Id, slot, cancellationToken).ConfigureAwait(false);
        }

        record.Finish();
        session.Save();
    }

    /// <summary>Where the DIMM is now, as the hypervisor says: still plugged, or gone (someone else removed it).</summary>
    private static async Task<string> WhereItIsAsync(HostSession session, HypervisorDimm dimm, CancellationToken cancellationToken)
    {
        var now = await session.Hypervisor.ReadMemoryAsync(cancellationToken).ConfigureAwait(false);
        if (now.Find(dimm.Name) is not null)
        {
            return "the DIMM is still plugged";
        }

        if (session.State.Find(dimm.Name) is { } record)
        {
            session.State.Dimms.Remove(record);
            session.Save();
        }

        return "the hypervisor no longer lists the DIMM (something else removed it meanwhile)";
    }

    private static string Names(HypervisorMemory memory) => memory.Dimms.Count > 0 ? string.Join(", ", memory.Dimms.Select(d => d.Name)) : "no DIMMs";
}
