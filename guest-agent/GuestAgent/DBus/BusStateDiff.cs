using GuestAgent.Protocol.Model;

namespace GuestAgent.DBus;

/// <summary>The signals between two states, pure: per DIMM state/zone and readiness changes, then changed properties.</summary>
public static class BusStateDiff
{
    public static IReadOnlyList<BusSignal> Compute(BusState? before, BusState after)
    {
        var signals = new List<BusSignal>();
        var old = before?.Model.Dimms.ToDictionary(d => d.Id, StringComparer.Ordinal) ?? new Dictionary<string, DimmReport>(StringComparer.Ordinal);
        foreach (var dimm in after.Model.Dimms)
        {
            old.TryGetValue(dimm.Id, out var was);
            if (was is null || was.State != dimm.State || !was.Zones.SequenceEqual(dimm.Zones))
            {
                signals.Add(new BusSignal("DimmChanged", [dimm.Id, dimm.State], dimm.Zones));
            }

            if (was is null || was.Readiness != dimm.Readiness || was.Reason != dimm.Reason)
            {
                signals.Add(new BusSignal("ReadinessChanged", [dimm.Id, dimm.Readiness, dimm.Reason]));
            }
        }

        foreach (var gone in old.Keys.Except(after.Model.Dimms.Select(d => d.Id), StringComparer.Ordinal))
        {
            signals.Add(new BusSignal("DimmChanged", [gone, "removed"], []));
        }

        var changed = new List<string>();
        if (before is null || signals.Count > 0 || before.Model.Dimms.Count != after.Model.Dimms.Count)
        {
            changed.Add("Dimms");
        }

        if (before is null || !VirtioMemOf(before).SequenceEqual(VirtioMemOf(after)))
        {
            changed.Add("VirtioMem");
        }

        if (before is null || before.Model.Policy != after.Model.Policy)
        {
            changed.Add("Policy");
        }

        if (before is null || before.HostConnected != after.HostConnected)
        {
            changed.Add("HostConnected");
        }

        if (before is not null && changed.Count > 0)
        {
            signals.Add(new BusSignal("PropertiesChanged", changed));
        }

        return before is null ? [] : signals;
    }

    /// <summary>What the VirtioMem property shows, for comparison.</summary>
    private static IEnumerable<(string, long?, long?, long?, string)> VirtioMemOf(BusState state) =>
        state.Model.Dimms.Where(d => d.Kind == DimmKinds.VirtioMem).Select(d => (d.Id, d.Plugged, d.MovableBytes, d.Unpluggable, d.Readiness));
}
