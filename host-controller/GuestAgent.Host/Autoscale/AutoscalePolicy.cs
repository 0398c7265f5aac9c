using System.Globalization;
using GuestAgent.Host.Hypervisor;
using GuestAgent.Protocol.Sizes;

namespace GuestAgent.Host.Autoscale;

/// <summary>
/// Pure: the autoscaler's decision from what the guest pushed, what the hypervisor lists and what the loop remembers.
/// It never acts during a migration, while another controller holds the VM, without a fresh report, while backing off
/// after a failed step, or after too many of them. It grows when the guest's available memory falls under the buffer
/// or its memory pressure (PSI some, avg10) reaches the threshold, by enough to restore the buffer. It shrinks only
/// after the guest has stayed above the buffer (plus a hysteresis) for the whole window with no change meanwhile, only
/// what the guest says can go now, and never to where the buffer would be lost again; a load that flips faster than the
/// window shrinks nothing. Never below the minimum or the boot memory, never above the maximum or the room left. Every
/// decision says why, with its inputs.
/// </summary>
public static class AutoscalePolicy
{
    /// <summary>After the n-th failed step in a row, wait 10 s × 2^(n-1), at most 5 minutes.</summary>
    public static TimeSpan Backoff(int failures) => TimeSpan.FromSeconds(Math.Min(300, 10 * Math.Pow(2, Math.Max(0, failures - 1))));

    public static AutoscaleDecision Decide(AutoscaleInput input)
    {
        var limits = input.Limits;
        if (input.Failures >= limits.MaxFailures)
        {
            return new AutoscaleDecision(AutoscaleAction.Stop, 0, [], $"stopped acting after {input.Failures} failed steps in a row (the last: {input.LastFailure}); fix the cause and start autoscale again");
        }

        if (input.Migration is MigrationPhase.Outgoing or MigrationPhase.Incoming or MigrationPhase.MigratedAway)
        {
            return AutoscaleDecision.Hold(input.Migration == MigrationPhase.MigratedAway ? "the VM has migrated away: autoscale it on the destination" : "a migration holds the VM");
        }

        if (input.HeldBy is { } holder)
        {
            return AutoscaleDecision.Hold($"{holder} holds the VM: a person's command goes first");
        }

        if (input.Failures > 0 && input.LastFailureAt is { } failed && input.Now < failed + Backoff(input.Failures))
        {
            return AutoscaleDecision.Hold($"backing off after {Count(input.Failures, "failed step")} until {(failed + Backoff(input.Failures)).ToLocalTime():HH:mm:ss} (the last: {input.LastFailure})");
        }

        if (input.Samples.Count == 0 || input.Now - input.Samples[^1].Time > limits.StaleAfter)
        {
            return AutoscaleDecision.Hold(input.Samples.Count == 0
                ? "no report from the agent yet"
                : string.Create(CultureInfo.InvariantCulture, $"no fresh report from the agent (the last is {(input.Now - input.Samples[^1].Time).TotalSeconds:0.0} s old)"));
        }

        var latest = input.Samples[^1];
        var inputs = Describe(latest, limits);
        var pressured = latest.PressureSome is { } some && some >= limits.PressurePercent;
        if (latest.AvailablePercent < limits.BufferPercent || pressured)
        {
            return Grow(input, latest, inputs, pressured);
        }

        return Shrink(input, latest, inputs);
    }

    private static AutoscaleDecision Grow(AutoscaleInput input, GuestSample latest, string inputs, bool pressured)
    {
        var limits = input.Limits;
        if (input.Vm is not { } vm)
        {
            return AutoscaleDecision.Hold($"would grow ({inputs}), but the hypervisor was not read");
        }

        // (A + x) / (T + x) >= buffer  <=>  x >= (buffer * T - A) / (1 - buffer)
        var buffer = limits.BufferPercent / 100.0;
        var need = Math.Max(0, (long)Math.Ceiling(((buffer * latest.Total) - latest.Available) / (1 - buffer)));
        var wanted = RoundUp(Math.Max(need, pressured ? vm.Granularity : 0), vm.Granularity);
        var cap = new List<(long Bytes, string Why)>
        {
            (limits.Max - vm.Current, $"the maximum {ByteSize.Format(limits.Max)}"),
            (limits.Step, $"the step {ByteSize.Format(limits.Step)}"),
        };
        if (vm.Room is { } room)
        {
            cap.Add((room, vm.VirtioMem is null ? "the room under maxmem and the free slots" : "the device's largest size"));
        }

        if (latest.PlugBudget is { } budget)
        {
            cap.Add((budget, "the guest's plug budget"));
        }

        var (limit, why) = cap.MinBy(c => c.Bytes);
        var grow = Math.Min(wanted, RoundDown(limit, vm.Granularity));
        if (grow <= 0)
        {
            return AutoscaleDecision.Hold($"would grow ({inputs}), but {why} leaves no room (memory {ByteSize.Format(vm.Current)})");
        }

        return new AutoscaleDecision(AutoscaleAction.Grow, grow, vm.VirtioMem is { } device ? [device.Id] : [],
            $"grow {ByteSize.Format(grow)}: {inputs}" + (grow < wanted ? $"; {ByteSize.Format(wanted)} would restore the buffer, {why} allows {ByteSize.Format(grow)}" : ""));
    }

    private static AutoscaleDecision Shrink(AutoscaleInput input, GuestSample latest, string inputs)
    {
        var limits = input.Limits;
        var since = input.Now - limits.Window;
        var comfortable = limits.BufferPercent + limits.HysteresisPoints;
        if (input.LastChange is { } change && change > since)
        {
            return AutoscaleDecision.Hold($"steady ({inputs}); the last change was less than {Seconds(limits.Window)} ago");
        }

        if (input.Samples[0].Time > since)
        {
            return AutoscaleDecision.Hold($"steady ({inputs}); reports cover less than {Seconds(limits.Window)} yet");
        }

        var window = input.Samples.Where(s => s.Time >= since).ToList();
        if (window.FirstOrDefault(s => s.AvailablePercent < comfortable || (s.PressureSome ?? 0) >= limits.PressurePercent / 2.0) is { } busy)
        {
            return AutoscaleDecision.Hold(string.Create(CultureInfo.InvariantCulture,
                $"steady ({inputs}); not comfortable for the whole window ({busy.AvailablePercent:0} % available at {busy.Time.ToLocalTime():HH:mm:ss}, {comfortable} % needed)"));
        }

        if (input.Vm is not { } vm)
        {
            return AutoscaleDecision.Hold($"comfortable ({inputs}), but the hypervisor was not read");
        }

        // What may go: keep the minimum and the boot memory, a step at most, and the buffer plus half the hysteresis
        // with the window's lowest availability: (A - x) / (T - x) >= keep  <=>  x <= (A - keep * T) / (1 - keep).
        var keep = (limits.BufferPercent + (limits.HysteresisPoints / 2.0)) / 100.0;
        var lowest = window.Min(s => s.Available);
        var byBuffer = (long)Math.Floor((lowest - (keep * latest.Total)) / (1 - keep));
        var allowed = Math.Min(Math.Min(byBuffer, limits.Step), vm.Current - Math.Max(limits.Min, vm.Boot));
        if (allowed < vm.Granularity)
        {
            return AutoscaleDecision.Hold($"comfortable ({inputs}); nothing can go: {(vm.Current - Math.Max(limits.Min, vm.Boot) < vm.Granularity ? $"at the minimum {ByteSize.Format(Math.Max(limits.Min, vm.Boot))}" : "it would take the buffer")}");
        }

        if (vm.VirtioMem is { } device)
        {
            var canGo = device.GuestId is { } id && latest.CanGo.TryGetValue(id, out var bytes) ? bytes : 0;
            var shrink = RoundDown(Math.Min(Math.Min(allowed, canGo), device.Size), vm.Granularity);
            return shrink <= 0
                ? AutoscaleDecision.Hold($"comfortable ({inputs}); the guest can give back nothing of virtio-mem {device.Id} now")
                : new AutoscaleDecision(AutoscaleAction.Shrink, shrink, [device.Id], $"shrink {ByteSize.Format(shrink)} through virtio-mem {device.Id}: {inputs}, for {Seconds(limits.Window)}; the guest can give back {ByteSize.Approximate(canGo)} now");
        }

        // DIMMs the guest says can go now, largest first, while they fit what may go.
        var chosen = new List<VmDevice>();
        var total = 0L;
        foreach (var dimm in vm.Dimms.Where(d => d.GuestId is { } id && latest.CanGo.TryGetValue(id, out var b) && b > 0).OrderByDescending(d => d.Size).ThenBy(d => d.Id, StringComparer.Ordinal))
        {
            if (total + dimm.Size <= allowed)
            {
                chosen.Add(dimm);
                total += dimm.Size;
            }
        }

        return chosen.Count == 0
            ? AutoscaleDecision.Hold($"comfortable ({inputs}); no DIMM the guest can let go of fits what may go ({ByteSize.Approximate(allowed)})")
            : new AutoscaleDecision(AutoscaleAction.Shrink, total, chosen.ConvertAll(d => d.Id),
                $"shrink {ByteSize.Format(total)} ({string.Join(", ", chosen.Select(d => d.Id))}): {inputs}, for {Seconds(limits.Window)}; the guest says they can go now");
    }

    private static string Describe(GuestSample sample, AutoscaleLimits limits) => string.Create(CultureInfo.InvariantCulture,
        $"available {sample.AvailablePercent:0} % {(sample.AvailablePercent < limits.BufferPercent ? "<" : ">=")} buffer {limits.BufferPercent} %, ")
        + (sample.PressureSome is { } some ? string.Create(CultureInfo.InvariantCulture, $"PSI some {some:0} %") : "PSI unavailable");

    private static long RoundUp(long bytes, long unit) => unit <= 0 ? bytes : (bytes + unit - 1) / unit * unit;

    private static long RoundDown(long bytes, long unit) => unit <= 0 || bytes <= 0 ? Math.Max(0, bytes) : bytes / unit * unit;

    private static string Seconds(TimeSpan span) => string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0} s");

    private static string Count(int n, string what) => n == 1 ? $"1 {what}" : $"{n} {what}s";
}
