using System.Diagnostics;
using GuestAgent.Host.Agent;
using GuestAgent.Host.Hypervisor;
using GuestAgent.Host.Operations;
using GuestAgent.Host.Planning;
using GuestAgent.Host.State;
using GuestAgent.Protocol.Client;
using GuestAgent.Protocol.Sizes;

namespace GuestAgent.Host.Workflows;

/// <summary>
/// <c>plug SIZE</c>: checks the VM's limits and the guest's plug budget before the hypervisor is asked, journals each
/// step, undoes a half-done plug, and reports what the guest made of the memory (from its events, as they come).
/// </summary>
public static class PlugWorkflow
{
    public static async Task<DimmRecord> RunAsync(HostSession session, long size, int? node, bool force, CancellationToken cancellationToken)
    {
        await session.RefuseDuringMigrationAsync($"plug {ByteSize.Format(size)}", cancellationToken).ConfigureAwait(false);
        var (memory, limits) = await session.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (PlugPlanner.Check(size, limits, memory.Layout) is { } refusal)
        {
            throw new HostCommandException($"cannot plug {ByteSize.Format(size)}: {refusal}");
        }

        await CheckBudgetAsync(session, size, node, force, cancellationToken).ConfigureAwait(false);

        var used = memory.Dimms.SelectMany(d => new[] { d.Id, d.Backend }).OfType<string>().Concat(session.State.Dimms.SelectMany(d => new[] { d.Id, d.Backend }));
        var names = DeviceNames.Next(used, session.Hypervisor.DeviceIdPrefix);
        // libvirt manages a DIMM's backend itself: nothing of ours to record or remove.
        var backend = session.Hypervisor.RemovesBackends ? "" : names.Backend;
        var record = new DimmRecord { Id = names.Device, Backend = backend, Size = size, Node = node, Created = session.Time.GetUtcNow() };
        session.State.Dimms.Add(record);
        var watch = Stopwatch.StartNew();
        HypervisorDimm dimm;
        try
        {
            dimm = await session.Hypervisor.PlugAsync(new PlugRequest(names.Device, backend, size, node), step =>
            {
                record.Begin(step == PlugStep.Backend ? DimmOperation.AddingBackend : DimmOperation.AddingDevice, session.Time.GetUtcNow());
                session.Save();
                return Task.CompletedTask;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (HypervisorRefusedException e)
        {
            if (await session.Hypervisor.RemoveLeftoversAsync(record.Backend, cancellationToken).ConfigureAwait(false))
            {
                session.State.Dimms.Remove(record);
            }
            else
            {
                record.Begin(DimmOperation.RemovingBackend, session.Time.GetUtcNow());
            }

            session.Save();
            throw new HostCommandException(e.Message, e);
        }

        record.Slot = dimm.Slot;
        record.Addr = dimm.Addr;
        record.Finish();
        session.State.RequestedMemory = memory.Layout.Current + size;
        session.State.LastChangeProblem = null;
        session.Save();
        session.Say("plugged", $"plugged {record.Id}: {ByteSize.Format(size)} in slot {record.Slot} at {ByteSize.Address(record.Addr ?? 0)}" + (record.Backend.Length > 0 ? $" (backend {record.Backend})" : ""), record.Id);
        await ReportGuestOnliningAsync(session, dimm, watch, cancellationToken).ConfigureAwait(false);
        return record;
    }

    /// <summary>Refuses (without <paramref name="force"/>) a DIMM larger than the guest can take and still give back.</summary>
    private static async Task CheckBudgetAsync(HostSession session, long size, int? node, bool force, CancellationToken cancellationToken)
    {
        if (session.Agent is null)
        {
            return;
        }

        var model = await session.Agent.RefreshModelAsync(session.Options.AgentTimeout, cancellationToken).ConfigureAwait(false);
        if (PlugBudgetCheck.Exceeded(model, size, node) is not { } what)
        {
            return;
        }

        if (!force)
        {
            throw new HostCommandException($"cannot plug {ByteSize.Format(size)}: {what}; --force plugs anyway");
        }

        session.Say("forced", $"--force: {what}; plugging {ByteSize.Format(size)} anyway");
    }

    private static async Task ReportGuestOnliningAsync(HostSession session, HypervisorDimm dimm, Stopwatch watch, CancellationToken cancellationToken)
    {
        var agent = session.Agent;
        if (agent is null)
        {
            session.Say("guest-unknown", $"the guest agent is not answering ({session.AgentProblem}): whether the guest onlines the memory, and into which zone, is not known", dimm.Name);
            return;
        }

        var deadline = session.Options.OnlineTimeout;
        while (true)
        {
            var next = agent.NextEvent;
            GuestDimm? guest;
            try
            {
                guest = GuestDimm.Find(await agent.RefreshModelAsync(session.Options.AgentTimeout, cancellationToken).ConfigureAwait(false), dimm);
            }
            catch (Exception e) when (e is AgentUnavailableException or ProtocolErrorException)
            {
                session.Say("guest-unknown", $"the guest agent stopped answering ({e.Message}); the DIMM is plugged", dimm.Name);
                return;
            }

            if (guest is { Report.State: "online" } && guest.Report.Size == dimm.Size)
            {
                session.Say("guest-onlined", $"guest: {guest.Report.Blocks.Count} blocks online in {string.Join("/", guest.Report.Zones)} after {watch.Elapsed.TotalSeconds:0.00} s; {guest.Report.Readiness}: {guest.Reason}", dimm.Name);
                if (guest.Report.Zones.Any(z => z != "Movable"))
                {
                    session.Say("warning", $"warning: {dimm.Name} is in the kernel zone in the guest: it cannot be unplugged again", dimm.Name);
                }

                return;
            }

            var left = deadline - watch.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                session.Say("warning", $"warning: the guest has not onlined all of {dimm.Name} after {deadline.TotalSeconds:0} s (state: {guest?.Report.State ?? "not seen"})", dimm.Name);
                return;
            }

            await Task.WhenAny(next, Task.Delay(left, session.Time, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }
}
