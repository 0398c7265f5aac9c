using System.Globalization;
using System.Text;
using GuestAgent.Host.Operations;
using GuestAgent.Protocol.Sizes;

namespace GuestAgent.Host.Cli;

/// <summary>The human form of <c>status</c>: totals, the guest, then one line per DIMM.</summary>
public static class StatusTextFormatter
{
    public static string Format(StatusReport report)
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        var max = report.MaxMemory is { } m ? $", max {ByteSize.Format(m)} (room {ByteSize.Format(report.RoomLeft ?? 0)})" : ", max unknown (--max-memory)";
        text.AppendLine(c, $"memory: boot {ByteSize.Format(report.BootMemory)}, current {ByteSize.Format(report.CurrentMemory)}, requested {ByteSize.Format(report.RequestedMemory)}{max}");
        var slots = report.Slots is { } n ? $" of {n} ({report.FreeSlots} free)" : ", total unknown (--slots)";
        text.AppendLine(c, $"slots: {report.SlotsUsed} used{slots}");
        text.AppendLine(report.AgentConnected
            ? $"guest: agent {report.AgentVersion}, policy {report.GuestPolicy}, block size {ByteSize.Format(report.GuestBlockSize ?? 0)}"
            : $"guest: no agent ({report.AgentProblem})");
        text.AppendLine(c, $"{"ID",-12} {"SLOT",4} {"ADDRESS",-13} {"SIZE",-9} {"NODE",4} {"GUEST",-16} {"READY",-10} REASON");
        foreach (var dimm in report.Dimms)
        {
            var guest = dimm.GuestZones.Count > 0 ? string.Join("/", dimm.GuestZones) : dimm.GuestState ?? "-";
            var reason = dimm.Operation is null ? dimm.Reason : $"{dimm.Reason} [in progress: {dimm.Operation}]";
            text.AppendLine(c, $"{dimm.Id,-12} {dimm.Slot?.ToString(c) ?? "-",4} {ByteSize.Address(dimm.Addr),-13} {ByteSize.Format(dimm.Size),-9} {dimm.Node,4} {guest,-16} {dimm.Readiness,-10} {reason}");
        }

        if (report.GuestOnly.Count > 0)
        {
            text.AppendLine(c, $"warning: the guest reports memory QEMU does not list: {string.Join(", ", report.GuestOnly)}");
        }

        return text.ToString();
    }
}
