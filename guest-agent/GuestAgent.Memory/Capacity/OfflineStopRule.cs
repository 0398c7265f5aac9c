using System.Globalization;
using GuestAgent.Protocol.Sizes;

namespace GuestAgent.Memory.Capacity;

/// <summary>
/// Pure: whether an offline in progress should stop and roll back before it pushes the guest into the OOM killer.
/// Two signals, each from the kernel's own accounting:
/// <list type="bullet">
/// <item>capacity (not under <c>force</c>): what is available now, minus what the DIMM still has online, is what the
/// guest would be left with; below half the reserve, something else is taking the memory the unplug was counted on
/// (the block being offlined is counted whole, so the line sits below the reserve the prepare was checked against);</item>
/// <item>pressure: every task stalled on memory (PSI "full") for at least the limit's share of the last window.</item>
/// </list>
/// </summary>
public static class OfflineStopRule
{
    public static string? Check(IReadOnlyList<PressureReading> readings, long remainingOnlineBytes, long reserveBytes, bool force, int pressureLimitPercent, TimeSpan window)
    {
        if (readings.Count == 0)
        {
            return null;
        }

        var last = readings[^1];
        if (!force && last.AvailableBytes is { } available && available - remainingOnlineBytes < reserveBytes / 2)
        {
            return $"available memory fell to ~{ByteSize.Approximate(available)} while ~{ByteSize.Approximate(remainingOnlineBytes)} of the DIMM was still online: "
                   + $"finishing would leave ~{ByteSize.Approximate(Math.Max(0, available - remainingOnlineBytes))}, under half the reserve of {ByteSize.Approximate(reserveBytes)} "
                   + "(something else in the guest is taking memory)";
        }

        if (pressureLimitPercent <= 0 || last.FullStallMicroseconds is not { } stallNow)
        {
            return null;
        }

        var first = readings.LastOrDefault(r => r.At <= last.At - window && r.FullStallMicroseconds is not null);
        if (first is null)
        {
            return null;
        }

        var elapsed = (last.At - first.At).TotalMicroseconds;
        var share = (stallNow - first.FullStallMicroseconds!.Value) * 100.0 / elapsed;
        return share >= pressureLimitPercent
            ? string.Create(CultureInfo.InvariantCulture, $"the guest is stalling on memory: every task waited for memory {share:0}% of the last {(last.At - first.At).TotalSeconds:0.#} s (PSI full; limit {pressureLimitPercent}%, Memory:OfflinePressureLimit)")
            : null;
    }
}
