using GuestAgent.Host.Agent;
using GuestAgent.Host.Operations;
using GuestAgent.Host.State;
using GuestAgent.Protocol.Model;

namespace GuestAgent.Host.Workflows;

/// <summary><c>status</c>: every DIMM the hypervisor lists (with or without an id) joined with the guest's view, and the totals.</summary>
public static class StatusWorkflow
{
    public static async Task<StatusReport> RunAsync(HostSession session, CancellationToken cancellationToken)
    {
        var (memory, limits) = await session.ReadAsync(cancellationToken).ConfigureAwait(false);
        ModelReport? model = null;
        if (session.Agent is not null)
        {
            model = await session.Agent.ModelSeeingAsync(memory, session.Options.AgentTimeout, cancellationToken).ConfigureAwait(false);
        }

        var rows = new List<DimmStatus>();
        foreach (var dimm in memory.Dimms.OrderBy(d => d.Addr))
        {
            var guest = model is null ? null : GuestDimm.Find(model, dimm);

            rows.Add(new DimmStatus
            {
                Id = dimm.Name, HasId = dimm.Id is not null, Backend = dimm.Backend, Slot = dimm.Slot, Addr = dimm.Addr, Size = dimm.Size, Node = dimm.Node,
                Hotplugged = dimm.Hotplugged,
                GuestZones = guest?.Report.Zones ?? [], GuestState = guest?.Report.State,
                Readiness = model is null ? "unknown" : guest?.Report.Readiness ?? "not-ready",
                Reason = model is null ? "no guest agent: " + session.AgentProblem : guest?.Reason ?? "the guest does not see this DIMM's memory",
                Blocker = guest?.Report.Blocker,
                OnlineBytes = guest?.Report.OnlineBytes,
                Hint = dimm.Id is null ? $"the hypervisor lists it without an id: name it {dimm.Name} in commands (unplug {dimm.Name})" : null,
                Operation = session.State.Find(dimm.Name) is { Operation: not DimmOperation.None } r ? GuestSteps.Describe(r.Operation) : null,
            });
        }

        var virtioMem = new List<VirtioMemStatus>();
        foreach (var device in memory.VirtioMem)
        {
            var guest = model is null ? null : GuestDimm.FindVirtioMem(model, device);

            virtioMem.Add(new VirtioMemStatus
            {
                Id = device.Id, Addr = device.Addr, MaxSize = device.MaxSize, Size = device.Size, RequestedSize = device.RequestedSize,
                BlockSize = device.BlockSize, Node = device.Node,
                GuestPlugged = guest?.Report.Plugged, GuestMovable = guest?.Report.MovableBytes, Unpluggable = guest?.Report.Unpluggable,
                Readiness = guest?.Report.Readiness ?? "unknown",
                Reason = model is null ? "no guest agent: " + session.AgentProblem
                    : guest?.Reason ?? "the guest agent does not report this virtio-mem device (an agent older than virtio-mem support, or /proc/iomem unreadable)",
            });
        }

        var current = memory.CurrentMemory;
        var budget = model?.PlugBudget;
        return new StatusReport
        {
            Hypervisor = session.Hypervisor.Description, Vm = session.Hypervisor.Identity.Key, StateFile = session.StatePath,
            HeldBy = session.HeldBy?.Describe(),
            Migration = session.Migration.Phase switch
            {
                Hypervisor.MigrationPhase.None => null,
                Hypervisor.MigrationPhase.Outgoing => $"under way ({session.Migration.Said}): changes are refused until it ends",
                Hypervisor.MigrationPhase.MigratedAway => $"migrated away ({session.Migration.Said}): the VM runs on the destination; change it there",
                Hypervisor.MigrationPhase.Incoming => $"arriving ({session.Migration.Said})",
                _ => $"arrived here by migration ({session.Migration.Said})",
            },
            LastMigration = session.State.Migrations.LastOrDefault() is { } last
                ? $"to {last.To} at {last.Ended:u}: {last.Outcome}, downtime {last.DowntimeMs?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} ms, with {string.Join(", ", last.Devices)}"
                : null,
            BootMemory = memory.BootMemory, CurrentMemory = current, RequestedMemory = session.State.RequestedMemory ?? current,
            LastChangeProblem = session.State.LastChangeProblem,
            MaxMemory = limits.MaxMemory, RoomLeft = limits.MaxMemory is { } max ? memory.Layout.RoomUnder(max) : null,
            Slots = limits.Slots, SlotsUsed = memory.Dimms.Count, FreeSlots = limits.Slots is { } s ? Math.Max(0, s - memory.Dimms.Count) : null,
            AgentConnected = session.Agent is not null, AgentProblem = session.AgentProblem,
            AgentVersion = session.Agent?.Hello.Version, GuestPolicy = model?.Policy, GuestBlockSize = model?.BlockSize,
            GuestAvailable = model?.Capacity?.Available, GuestHeadroom = model?.Capacity?.Headroom,
            PlugBudget = budget?.Bytes, PlugBudgetReason = budget?.Reason,
            GuestWarnings = model?.Warnings.Select(w => $"{w.Subject}: {w.Message}").ToList() ?? [],
            GuestRecoveries = model?.Recoveries.Select(r => $"{r.Dimm}: {r.Message}").ToList() ?? [],
            GuestOnly = model is null ? [] : GuestDimm.GuestOnly(model, memory),
            Dimms = rows,
            VirtioMem = virtioMem,
        };
    }

    /// <summary>
    /// What can be said while another controller has the VM's only monitor: the state file as it last wrote it (every
    /// DIMM, its operation in flight), and who it is. Nothing is asked of the hypervisor or the guest.
    /// </summary>
    public static StatusReport FromStateFile(LockHolder holder, string why)
    {
        var state = new StateStore(holder.StateFile).Load();
        var rows = state.Dimms.OrderBy(d => d.Addr ?? long.MaxValue).Select(d => new DimmStatus
        {
            Id = d.Id, Backend = d.Backend.Length > 0 ? d.Backend : null, Slot = d.Slot, Addr = d.Addr ?? 0, Size = d.Size, Node = d.Node ?? 0,
            Readiness = "unknown", Reason = "not asked: " + why,
            Operation = d.Operation == DimmOperation.None ? null : GuestSteps.Describe(d.Operation) + $" since {d.OperationStarted:u}",
        }).ToList();
        var plugged = state.Dimms.Sum(d => d.Size);
        return new StatusReport
        {
            Hypervisor = "not asked", Vm = holder.Vm, StateFile = holder.StateFile, HeldBy = holder.Describe(), NotLive = why,
            BootMemory = 0, CurrentMemory = 0, RequestedMemory = state.RequestedMemory ?? 0, LastChangeProblem = state.LastChangeProblem,
            SlotsUsed = state.Dimms.Count, AgentConnected = false, AgentProblem = "not asked: " + why, GuestBlockSize = state.GuestBlockSize,
            Dimms = rows,
        };
    }
}
