using System.Globalization;
using System.Text;
using GuestAgent.Host.Operations;
using GuestAgent.Protocol.Sizes;

namespace GuestAgent.Host.Cli;

/// <summary>The human form of <c>status</c>: totals, the guest, then one line per DIMM, then what to know.</summary>
public static class StatusTextFormatter
{
    public static string Format(StatusReport report)
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"vm: {report.Vm} on {report.Hypervisor}; state {report.StateFile}");
        if (report.Migration is { } migration)
        {
            text.AppendLine(c, $"migration: {migration}");
        }

        if (report.LastMigration is { } lastMigration)
        {
            text.AppendLine(c, $"last migration: {lastMigration}");
        }

        if (report.HeldBy is { } holder)
        {
            text.AppendLine(c, $"changing now: {holder}");
        }

        if (report.NotLive is { } notLive)
        {
            text.AppendLine(c, $"not live: {notLive}; from the state file as that controller last wrote it:");
            var last = report.LastChangeProblem is { } lastProblem ? $"; last change: {lastProblem}" : "";
            text.AppendLine(c, $"memory: requested {ByteSize.Format(report.RequestedMemory)}{last}");
            text.AppendLine(c, $"{"ID",-12} {"SLOT",4} {"ADDRESS",-13} {"SIZE",-9} {"NODE",4} IN PROGRESS");
            foreach (var dimm in report.Dimms)
            {
                text.AppendLine(c, $"{dimm.Id,-12} {dimm.Slot?.ToString(c) ?? "-",4} {ByteSize.Address(dimm.Addr),-13} {ByteSize.Format(dimm.Size),-9} {dimm.Node,4} {dimm.Operation ?? "-"}");
            }

            return text.ToString();
        }

        var max = report.MaxMemory is { } m ? $", max {ByteSize.Format(m)} (room {ByteSize.Format(report.RoomLeft ?? 0)})" : ", max unknown (--max-memory)";
        text.AppendLine(c, $"memory: boot {ByteSize.Format(report.BootMemory)}, current {ByteSize.Format(report.CurrentMemory)}, requested {ByteSize.Format(report.RequestedMemory)}{max}");
        if (report.LastChangeProblem is { } problem)
        {
            text.AppendLine(c, $"last change: {problem}");
        }

        var slots = report.Slots is { } n ? $" of {n} ({report.FreeSlots} free)" : ", total unknown (--slots)";
        text.AppendLine(c, $"slots: {report.SlotsUsed} used{slots}");
        text.AppendLine(report.AgentConnected
            ? $"guest: agent {report.AgentVersion}, policy {report.GuestPolicy}, block size {ByteSize.Format(report.GuestBlockSize ?? 0)}"
            : $"guest: no agent ({report.AgentProblem})");
        if (report.GuestAvailable is { } available)
        {
            text.AppendLine(c, $"guest memory: {ByteSize.Approximate(available)} available; can give up {ByteSize.Approximate(report.GuestHeadroom ?? 0)} of online DIMM memory now");
        }

        if (report.PlugBudgetReason is { } reason)
        {
            text.AppendLine(c, $"plug budget: {(report.PlugBudget is { } budget ? ByteSize.Format(budget) : "no limit seen")}: {reason}");
        }

        text.AppendLine(c, $"{"ID",-12} {"SLOT",4} {"ADDRESS",-13} {"SIZE",-9} {"NODE",4} {"GUEST",-16} {"READY",-10} REASON");
        foreach (var dimm in report.Dimms)
        {
            var guest = dimm.GuestZones.Count > 0 ? string.Join("/", dimm.GuestZones) : dimm.GuestState ?? "-";
            var why = dimm.Operation is null ? dimm.Reason : $"{dimm.Reason} [in progress: {dimm.Operation}]";
            text.AppendLine(c, $"{dimm.Id,-12} {dimm.Slot?.ToString(c) ?? "-",4} {ByteSize.Address(dimm.Addr),-13} {ByteSize.Format(dimm.Size),-9} {dimm.Node,4} {guest,-16} {dimm.Readiness,-10} {why}");
            if (dimm.Hint is { } hint)
            {
                text.AppendLine(c, $"{"",12}   note: {hint}");
            }
        }

        foreach (var device in report.VirtioMem)
        {
            var guest = device.GuestPlugged is { } plugged
                ? $"; guest: {ByteSize.Format(plugged)} plugged, {ByteSize.Format(device.GuestMovable ?? 0)} of it Movable, can give back ~{ByteSize.Approximate(device.Unpluggable ?? 0)} now"
                : "";
            text.AppendLine(c, $"virtio-mem {device.Id}: {ByteSize.Format(device.Size)} plugged of {ByteSize.Format(device.MaxSize)} at {ByteSize.Address(device.Addr)}, requested {ByteSize.Format(device.RequestedSize)}, block {ByteSize.Format(device.BlockSize)}, node {device.Node}{guest}");
            text.AppendLine(c, $"{"",12}   {device.Readiness}: {device.Reason}");
        }

        foreach (var warning in report.GuestWarnings)
        {
            text.AppendLine(c, $"guest warning: {warning}");
        }

        foreach (var recovery in report.GuestRecoveries)
        {
            text.AppendLine(c, $"guest recovered: {recovery}");
        }

        if (report.GuestOnly.Count > 0)
        {
            text.AppendLine(c, $"warning: the guest reports memory the hypervisor does not list: {string.Join(", ", report.GuestOnly)}");
        }

        return text.ToString();
    }
}
