using GuestAgent.Memory.Agent;
using GuestAgent.Memory.Model;
using GuestAgent.Memory.Operations;
using GuestAgent.Memory.Policy;
using GuestAgent.Memory.Readiness;
using GuestAgent.Memory.Writing;
using GuestAgent.Protocol.Model;
using GuestAgent.Protocol.Payloads;

namespace GuestAgent.Reporting;

/// <summary>Pure: turns the agent's view into the documented report schema.</summary>
public static class ModelReportBuilder
{
    public static ModelReport Build(MemoryAgentView view, string sysfsRoot, IEnumerable<BlockOutcome>? applied = null)
    {
        var snapshot = view.Snapshot;
        return new ModelReport
        {
            SysfsRoot = sysfsRoot,
            BlockSize = snapshot.BlockSize,
            AutoOnlineBlocks = snapshot.Settings.AutoOnlineBlocks,
            HotplugParameters = snapshot.Settings.Parameters,
            Policy = OnlinePolicyNames.Format(view.Policy.Kind),
            AutoMovableRatio = view.Policy.Kind == OnlinePolicyKind.AutoMovable ? view.Policy.AutoMovableRatioPercent : null,
            Blocks = Summarize(snapshot),
            Dimms = snapshot.Dimms.Where(d => view.Readiness.ContainsKey(d.Id)).Select(d => Dimm(snapshot, d, view.Readiness[d.Id])).ToList(),
            Problems = snapshot.Problems.Select(p => new ProblemReport(p.Subject, p.Message)).ToList(),
            Capacity = view.Capacity.AvailableBytes is { } available
                ? new CapacityReport { Available = available, Reserve = view.ReserveBytes, Headroom = view.UnplugHeadroom ?? 0, Total = view.Capacity.Meminfo?.TotalBytes }
                : null,
            PlugBudget = new PlugBudgetReport
            {
                Bytes = view.PlugBudget.Bytes,
                Reason = view.PlugBudget.Reason,
                Nodes = view.PlugBudget.Nodes.Select(n => new NodePlugBudgetReport { Node = n.Node, Bytes = n.Bytes, Reason = n.Reason }).ToList(),
            },
            Warnings = view.Hazards.Select(h => new ProblemReport(h.Subject, h.Message)).ToList(),
            Recoveries = view.Recoveries.Select(r => new RecoveryReport { Dimm = r.Dimm, Message = r.Message, At = r.At }).ToList(),
            Failures = view.LastOutcomes.Values.Where(o => !o.Succeeded).OrderBy(o => o.BlockId).Select(Outcome).ToList(),
            Applied = applied?.Select(Outcome).ToList(),
        };
    }

    /// <summary>The protocol's view of a finished prepare/cancel, with the DIMM's readiness now.</summary>
    public static OperationReturn Operation(DimmOperationResult result, MemoryAgentView view) => new()
    {
        Dimm = result.DimmId,
        Operation = result.Operation,
        Ok = result.Succeeded,
        Message = result.Message,
        RolledBack = result.RolledBack,
        Blocks = result.Blocks.Select(Outcome).ToList(),
        Readiness = view.Readiness.TryGetValue(result.DimmId, out var readiness) ? Format(readiness.State) : null,
    };

    public static BlockOutcomeReport Outcome(BlockOutcome outcome) => new()
    {
        Block = outcome.BlockName,
        Action = outcome.Action,
        Ok = outcome.Succeeded,
        Message = outcome.Message,
        Errno = outcome.Errno is { } errno ? ErrnoNames.Name(errno) : null,
        TimedOut = outcome.TimedOut,
    };

    public static string Format(DimmKind kind) => kind switch
    {
        DimmKind.Acpi => DimmKinds.Acpi,
        DimmKind.VirtioMem => DimmKinds.VirtioMem,
        DimmKind.Boot => DimmKinds.Boot,
        DimmKind.Range => DimmKinds.Range,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no such kind of DIMM"),
    };

    public static string Format(ReadinessState state) => state switch
    {
        ReadinessState.Ready => "ready",
        ReadinessState.NotReady => "not-ready",
        ReadinessState.Busy => "busy",
        ReadinessState.BootMemory => "boot-memory",
        _ => "unknown",
    };

    public static string Format(ReadinessBlocker blocker) => blocker switch
    {
        ReadinessBlocker.KernelZone => "kernel-zone",
        ReadinessBlocker.SpansZones => "spans-zones",
        ReadinessBlocker.GoingOffline => "going-offline",
        ReadinessBlocker.Unreadable => "unreadable",
        ReadinessBlocker.NoBlocks => "no-blocks",
        ReadinessBlocker.Capacity => "capacity",
        _ => "capacity-unknown",
    };

    private static BlockSummary Summarize(MemorySnapshot snapshot)
    {
        int online = 0, offline = 0, going = 0, unknown = 0;
        long movable = 0, kernel = 0, offlineBytes = 0;
        var zones = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var block in snapshot.Blocks)
        {
            switch (block.State)
            {
                case BlockState.Online:
                    online++;
                    var zone = block.Zone ?? "unknown";
                    zones[zone] = zones.GetValueOrDefault(zone) + 1;
                    if (zone == ZoneNames.Movable)
                    {
                        movable += snapshot.BlockSize;
                    }
                    else
                    {
                        kernel += snapshot.BlockSize;
                    }

                    break;
                case BlockState.Offline:
                    offline++;
                    offlineBytes += snapshot.BlockSize;
                    break;
                case BlockState.GoingOffline:
                    going++;
                    break;
                default:
                    unknown++;
                    break;
            }
        }

        return new BlockSummary
        {
            Total = snapshot.Blocks.Count,
            Online = online,
            Offline = offline,
            GoingOffline = going,
            Unknown = unknown,
            MovableBytes = movable,
            KernelBytes = kernel,
            OfflineBytes = offlineBytes,
            Zones = zones,
        };
    }

    private static DimmReport Dimm(MemorySnapshot snapshot, Dimm dimm, DimmReadiness readiness)
    {
        var blocks = snapshot.BlocksOf(dimm).ToList();
        var states = blocks.Select(b => b.State).Distinct().ToList();
        var state = states switch
        {
            [BlockState.Online] => "online",
            [BlockState.Offline] => "offline",
            [BlockState.GoingOffline] => "going-offline",
            [] or [BlockState.Unknown] => "unknown",
            _ => "mixed",
        };
        return new DimmReport
        {
            Id = dimm.Id,
            Kind = Format(dimm.Kind),
            Slot = dimm.Slot,
            AcpiDevice = dimm.AcpiDevice,
            VirtioDevice = dimm.VirtioMem?.Device,
            Plugged = readiness.VirtioMem?.Plugged,
            MovableBytes = readiness.VirtioMem?.Movable,
            Unpluggable = readiness.UnpluggableBytes,
            Start = dimm.StartAddress,
            Size = dimm.SizeBytes,
            Node = dimm.Node,
            Blocks = blocks.ConvertAll(b => b.Name),
            State = state,
            Zones = blocks.Where(b => b.Zone is not null).Select(b => b.Zone!).Distinct().ToList(),
            PresentAtBoot = dimm.PresentAtBoot,
            Removable = dimm.IsRemovable,
            Readiness = Format(readiness.State),
            Reason = readiness.Reason,
            Blocker = readiness.Blocker is { } blocker ? Format(blocker) : null,
            OnlineBytes = dimm.Kind == DimmKind.Boot ? null : blocks.Count(b => b.State != BlockState.Offline) * snapshot.BlockSize,
            Holds = readiness.Capacity?.HoldsBytes,
        };
    }
}
