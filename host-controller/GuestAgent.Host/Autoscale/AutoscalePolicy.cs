using System.Globalization;
using GuestAgent.Host.Hypervisor;
using GuestAgent.Protocol.Sizes;

namespace GuestAgent.Host.Autoscale;

/// <summary>
/// Pure: the autoscaler's decision from what the guest pushed, what the hypervisor lists and what the loop remembers.
/// It never acts during a migration, while another controller holds the VM, without a fresh report (one newer than
/// its last change), while backing off after a failed step, or after too many of them. It grows when the guest's
/// available memory falls under the buffer, or would after another rise like the one of the last
/// <see cref="TrendWindow"/> (a load that grows in steps is met a step ahead), or its memory pressure (PSI some, avg10)
/// reaches the threshold; by enough to restore the buffer after that rise; and to the minimum when below it. It shrinks only after the guest has stayed above the
/// buffer plus a hysteresis for the whole window, its use settled (moving by less than the hysteresis) and no change
/// meanwhile (above the maximum: at once), only what the
/// guest says can go now and fits its headroom together, and never to where the buffer would be lost again: a load
/// that flips faster than the window shrinks nothing. Never below the minimum or the boot memory, never above the
/// maximum or the room left. Every decision says why, with its inputs.
/// </summary>
public static class AutoscalePolicy
{
    /// <summary>How far back a rise in the guest's use counts toward a grow.</summary>
    public static readonly TimeSpan TrendWindow = TimeSpan.FromSeconds(10);

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
            return AutoscaleDecision.Hold(input.Migration switch
            {
                MigrationPhase.MigratedAway => "the VM has migrated away: autoscale it on the destination",
                MigrationPhase.Incoming => "the VM is still arriving by migration",
                _ => "a migration holds the VM",
            });
        }

        if (input.HeldBy is { } holder)
        {
            return AutoscaleDecision.Hold($"{holder} has the VM: a person's command goes first");
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
        if (input.LastChange is { } last && latest.Time <= last)
        {
            return AutoscaleDecision.Hold("waiting for the guest's first report after the last change");
        }

        var inputs = Describe(latest, limits);
        if (input.Vm is { } vm && vm.Current < limits.Min)
        {
            return Grow(input, latest, $"memory {ByteSize.Format(vm.Current)} is below the minimum {ByteSize.Format(limits.Min)}; {inputs}", limits.Min - vm.Current);
        }

        // Where another rise like the last TrendWindow's would leave the guest: a load growing in steps is met a step
        // ahead. In use (total less available), not available: a grow or a shrink moves both figures alike and is no
        // rise. Only a new high counts: a load coming back to a level it held earlier in the window (one that flips) is
        // met by the buffer, not projected further each time it comes back. A rise counts from the last change on: the
        // change already made room for the rise before it.
        var from = input.LastChange is { } changed && changed > input.Now - TrendWindow ? changed : input.Now - TrendWindow;
        var recent = input.Samples.Where(s => s.Time >= from).ToList();
        var use = latest.Total - latest.Available;
        var rise = Math.Max(0, use - recent.Min(s => s.Total - s.Available));
        var earlier = input.Samples.Where(s => s.Time < input.Now - TrendWindow).ToList();
        if (rise > 0 && earlier.Count > 0 && use <= earlier.Max(s => s.Total - s.Available) + NewHighMargin(latest))
        {
            rise = 0;
        }

        var projected = latest.Available - rise;
        var buffer = limits.BufferPercent / 100.0;
        var pressured = latest.PressureSome is { } some && some >= limits.PressurePercent;
        if (latest.AvailablePercent < limits.BufferPercent || pressured || projected < buffer * latest.Total)
        {
            // (A' + x) / (T + x) >= buffer  <=>  x >= (buffer * T - A') / (1 - buffer), A' the projected availability.
            // A rise is met by at least as much again (fewer, larger steps: a DIMM takes a slot each).
            var restore = Math.Max(rise, Math.Max(0, (long)Math.Ceiling(((buffer * latest.Total) - projected) / (1 - buffer))));
            var why = inputs + (rise > 0
                ? string.Create(CultureInfo.InvariantCulture, $", use rose {ByteSize.Approximate(rise)} in {Seconds(input.Now - from)} (once more would leave {Math.Max(0, 100.0 * projected / latest.Total):0} %)")
                : "");
            return Grow(input, latest, why, restore);
        }

        return Shrink(input, latest, inputs);
    }

    /// <summary>Running out: available under half the buffer, or PSI at the threshold (the one case a grow may pass a zero plug budget).</summary>
    public static bool RunningOut(GuestSample latest, AutoscaleLimits limits) =>
        latest.AvailablePercent < limits.BufferPercent / 2.0 || (latest.PressureSome ?? 0) >= limits.PressurePercent;

    /// <summary>How far above its earlier high the guest's use must be to count as a new high: 2 % of its memory, at least 32 MiB (the noise of page cache and the memory map of added memory).</summary>
    private static long NewHighMargin(GuestSample latest) => Math.Max(32L << 20, latest.Total / 50);

    private static AutoscaleDecision Grow(AutoscaleInput input, GuestSample latest, string inputs, long need)
    {
        var limits = input.Limits;
        if (input.Vm is not { } vm)
        {
            return AutoscaleDecision.Hold($"would grow ({inputs}), but the hypervisor was not read");
        }

        var wanted = RoundUp(Math.Max(need, vm.Granularity), vm.Granularity);
        var cap = new List<(long Bytes, string Why)>
        {
            (limits.Max - vm.Current, $"the maximum {ByteSize.Format(limits.Max)}"),
            (limits.Step, $"the step {ByteSize.Format(limits.Step)}"),
        };
        if (vm.Room is { } room)
        {
            cap.Add((room, vm.VirtioMem is null ? "the room under maxmem and the free slots" : "the device's largest size"));
        }

        // What the hypervisor and the limits allow, before the guest's own budget (a guest running out may pass that).
        var roomBesideBudget = cap.Min(c => RoundDown(c.Bytes, vm.Granularity));
        if (latest.PlugBudget is { } budget)
        {
            cap.Add((budget, "the guest's plug budget"));
        }

        var (limit, why) = cap.MinBy(c => c.Bytes);
        var grow = Math.Min(wanted, RoundDown(limit, vm.Granularity));
        if (grow <= 0 && RunningOut(latest, limits) && latest.PlugBudget is { } none && none < vm.Granularity && roomBesideBudget >= vm.Granularity)
        {
            // The guest's budget counts the memmap against its free kernel memory, which a guest running out has
            // little of; the kernel reclaims for a hot-add's memmap (1/64 of it) as for any allocation. Out of memory
            // is worse than a block the ratio did not plan for: the smallest step the VM can take.
            return new AutoscaleDecision(AutoscaleAction.Grow, vm.Granularity, vm.VirtioMem is { } tight ? [tight.Id] : [],
                $"grow {ByteSize.Format(vm.Granularity)}: {inputs}; the guest's plug budget is {ByteSize.Format(none)}, but it is running out: the smallest step") { PastBudget = true };
        }

        if (grow <= 0)
        {
            return AutoscaleDecision.Hold($"would grow ({inputs}), but {why} leaves no room (memory {ByteSize.Format(vm.Current)})");
        }

        return new AutoscaleDecision(AutoscaleAction.Grow, grow, vm.VirtioMem is { } device ? [device.Id] : [],
            $"grow {ByteSize.Format(grow)}: {inputs}" + (grow < wanted ? $"; {ByteSize.Format(wanted)} wanted, {why} allows {ByteSize.Format(grow)}" : ""));
    }

    private static AutoscaleDecision Shrink(AutoscaleInput input, GuestSample latest, string inputs)
    {
        var limits = input.Limits;
        var above = input.Vm is { } shape && shape.Current > limits.Max;
        var since = input.Now - limits.Window;
        var comfortable = limits.BufferPercent + limits.HysteresisPoints;
        var window = input.Samples.Where(s => s.Time >= since).ToList();
        if (!above)
        {
            if (input.LastChange is { } change && change > since)
            {
                return AutoscaleDecision.Hold($"steady ({inputs}); the last change was less than {Seconds(limits.Window)} ago");
            }

            if (input.Samples[0].Time > since || Gap(window, limits.StaleAfter) is not null)
            {
                return AutoscaleDecision.Hold($"steady ({inputs}); reports cover less than the last {Seconds(limits.Window)}");
            }

            if (window.FirstOrDefault(s => s.AvailablePercent < comfortable || (s.PressureSome ?? 0) >= limits.PressurePercent / 2.0) is { } busy)
            {
                return AutoscaleDecision.Hold(string.Create(CultureInfo.InvariantCulture,
                    $"steady ({inputs}); not comfortable for the whole window ({busy.AvailablePercent:0} % available at {busy.Time.ToLocalTime():HH:mm:ss}, {comfortable} % needed)"));
            }

            // A load that comes and goes within the window is not one to give memory back to: it comes back.
            var spread = window.Max(s => s.Available) - window.Min(s => s.Available);
            if (spread * 100.0 > limits.HysteresisPoints * (double)latest.Total)
            {
                return AutoscaleDecision.Hold(string.Create(CultureInfo.InvariantCulture,
                    $"steady ({inputs}); the guest's use moved by {ByteSize.Approximate(spread)} within the window (more than {limits.HysteresisPoints} % of its memory): waiting for it to settle"));
            }
        }

        if (input.Vm is not { } vm)
        {
            return AutoscaleDecision.Hold($"comfortable ({inputs}), but the hypervisor was not read");
        }

        // What may go: keep the minimum and the boot memory, a step at most (down to the maximum, when above it), and
        // the buffer plus half the hysteresis with the lowest availability of the window:
        // (A - x) / (T - x) >= keep  <=>  x <= (A - keep * T) / (1 - keep).
        var keep = (limits.BufferPercent + (limits.HysteresisPoints / 2.0)) / 100.0;
        var lowest = (window.Count > 0 ? window : [latest]).Min(s => s.Available);
        var byBuffer = (long)Math.Floor((lowest - (keep * latest.Total)) / (1 - keep));
        var floor = Math.Max(limits.Min, vm.Boot);
        var allowed = Math.Min(Math.Min(byBuffer, above ? vm.Current - limits.Max : limits.Step), vm.Current - floor);
        if (above)
        {
            inputs = $"memory {ByteSize.Format(vm.Current)} is above the maximum {ByteSize.Format(limits.Max)}; {inputs}";
        }

        if (allowed < vm.Granularity)
        {
            return AutoscaleDecision.Hold($"comfortable ({inputs}); nothing can go: {(vm.Current - floor < vm.Granularity ? $"at the minimum {ByteSize.Format(floor)}" : "it would take the buffer")}");
        }

        var window60 = above ? "" : $", for {Seconds(limits.Window)}";
        if (vm.VirtioMem is { } device)
        {
            var canGo = device.GuestId is { } id && latest.CanGo.TryGetValue(id, out var bytes) ? bytes : 0;
            var shrink = RoundDown(Math.Min(Math.Min(allowed, canGo), device.Size), vm.Granularity);
            return shrink <= 0
                ? AutoscaleDecision.Hold($"comfortable ({inputs}); the guest can give back nothing of virtio-mem {device.Id} now")
                : new AutoscaleDecision(AutoscaleAction.Shrink, shrink, [device.Id], $"shrink {ByteSize.Format(shrink)} through virtio-mem {device.Id}: {inputs}{window60}; the guest can give back {ByteSize.Approximate(canGo)} now");
        }

        // DIMMs the guest says can go now, largest first, while they fit what may go and the guest's headroom together.
        var fits = Math.Min(allowed, latest.Headroom ?? allowed);
        var chosen = new List<VmDevice>();
        var total = 0L;
        foreach (var dimm in vm.Dimms.Where(d => d.GuestId is { } id && latest.CanGo.TryGetValue(id, out var b) && b > 0).OrderByDescending(d => d.Size).ThenBy(d => d.Id, StringComparer.Ordinal))
        {
            if (total + dimm.Size <= fits)
            {
                chosen.Add(dimm);
                total += dimm.Size;
            }
        }

        return chosen.Count == 0
            ? AutoscaleDecision.Hold($"comfortable ({inputs}); no DIMM the guest can let go of fits what may go ({ByteSize.Approximate(fits)})")
            : new AutoscaleDecision(AutoscaleAction.Shrink, total, chosen.ConvertAll(d => d.Id),
                $"shrink {ByteSize.Format(total)} ({string.Join(", ", chosen.Select(d => d.Id))}): {inputs}{window60}; the guest says they can go now");
    }

    /// <summary>The first gap between reports longer than <paramref name="longest"/>, or null.</summary>
    private static TimeSpan? Gap(IReadOnlyList<GuestSample> samples, TimeSpan longest)
    {
        for (var i = 1; i < samples.Count; i++)
        {
            if (samples[i].Time - samples[i - 1].Time > longest)
            {
                return samples[i].Time - samples[i - 1].Time;
            }
        }

        return null;
    }

    private static string Describe(GuestSample sample, AutoscaleLimits limits) => string.Create(CultureInfo.InvariantCulture,
        $"available {sample.AvailablePercent:0} % {(sample.AvailablePercent < limits.BufferPercent ? "<" : ">=")} buffer {limits.BufferPercent} %, ")
        + (sample.PressureSome is { } some ? string.Create(CultureInfo.InvariantCulture, $"PSI some {some:0} %") : "PSI unavailable");

    private static long RoundUp(long bytes, long unit) => unit <= 0 ? bytes : (bytes + unit - 1) / unit * unit;

    private static long RoundDown(long bytes, long unit) => unit <= 0 || bytes <= 0 ? Math.Max(0, bytes) : bytes / unit * unit;

    private static string Seconds(TimeSpan span) => string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0} s");

    private static string Count(int n, string what) => n == 1 ? $"1 {what}" : $"{n} {what}s";
}
