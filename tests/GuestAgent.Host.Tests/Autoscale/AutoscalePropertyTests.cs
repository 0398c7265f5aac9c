using FsCheck;
using FsCheck.Fluent;
using GuestAgent.Host.Autoscale;
using GuestAgent.Host.Hypervisor;
using static GuestAgent.Host.Tests.Autoscale.Scenario;

namespace GuestAgent.Host.Tests.Autoscale;

/// <summary>
/// Invariants of the decision over generated inputs, and of a guest driven by it second by second on a virtual clock
/// (FsCheck; each property checked in a plain test, as FsCheck.Xunit is not served here).
/// </summary>
public class AutoscalePropertyTests
{
    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(400);

    private static Gen<AutoscaleInput> Inputs() =>
        from minBlocks in Gen.Choose(4, 16)
        from extraBlocks in Gen.Choose(0, 24)
        from bootBlocks in Gen.Choose(4, 16)
        from dimmSizes in Gen.ListOf(Gen.Choose(1, 8)).Select(l => l.Take(6).ToList())
        from virtio in Gen.Elements(false, false, true)
        from canGoMask in Gen.Choose(0, 63)
        from count in Gen.Choose(0, 90)
        from availableShares in Gen.ArrayOf(Gen.Choose(0, 100), 90)
        from psi in Gen.Elements<double?>(null, 0, 5, 20, 80)
        from budgetBlocks in Gen.Elements<int?>(null, 0, 1, 4, 64)
        from headroomBlocks in Gen.Elements<int?>(null, 0, 2, 8, 64)
        from roomBlocks in Gen.Elements<int?>(null, 0, 1, 8, 64)
        from age in Gen.Choose(0, 8)
        from phase in Gen.Elements(MigrationPhase.None, MigrationPhase.None, MigrationPhase.None, MigrationPhase.Outgoing, MigrationPhase.MigratedAway, MigrationPhase.Incoming)
        from held in Gen.Elements(false, false, false, true)
        from failures in Gen.Choose(0, 6)
        from lastChangeAgo in Gen.Elements<int?>(null, 1, 30, 120)
        select Build(minBlocks, extraBlocks, bootBlocks, dimmSizes, virtio, canGoMask, count, availableShares, psi, budgetBlocks, headroomBlocks, roomBlocks, age, phase, held, failures, lastChangeAgo);

    private static AutoscaleInput Build(int minBlocks, int extraBlocks, int bootBlocks, List<int> dimmSizes, bool virtio, int canGoMask, int count, int[] availableShares, double? psi,
        int? budgetBlocks, int? headroomBlocks, int? roomBlocks, int age, MigrationPhase phase, bool held, int failures, int? lastChangeAgo)
    {
        const long B = 128 * M;
        var limits = new AutoscaleLimits { Min = minBlocks * B, Max = (minBlocks + extraBlocks) * B };
        var dimms = dimmSizes.Select((blocks, i) => new VmDevice($"d{i}", blocks * B, $"slot{i}")).ToList();
        var plugged = virtio ? dimmSizes.Sum() * B : dimms.Sum(d => d.Size);
        var current = (bootBlocks * B) + plugged;
        var canGo = virtio
            ? new Dictionary<string, long> { ["vm"] = (canGoMask % 8) * B }
            : dimms.Where((_, i) => (canGoMask & (1 << i)) != 0).ToDictionary(d => d.GuestId!, d => d.Size);
        var now = Start.AddHours(1);
        var samples = Enumerable.Range(0, count).Select(i => new GuestSample
        {
            Time = now - TimeSpan.FromSeconds(count - 1 - i + age),
            Total = current - (64 * M),
            Available = (current - (64 * M)) * availableShares[i] / 100,
            PressureSome = psi,
            CanGo = canGo,
            PlugBudget = budgetBlocks * B,
            Headroom = headroomBlocks * B,
        }).ToList();
        return new AutoscaleInput
        {
            Limits = limits,
            Now = now,
            Samples = samples,
            Vm = new VmShape
            {
                Boot = bootBlocks * B, Current = current, Granularity = B, Room = roomBlocks * B,
                VirtioMem = virtio ? new VmDevice("vm0", plugged, "vm") : null,
                Dimms = virtio ? [] : dimms,
            },
            Migration = phase,
            HeldBy = held ? "guest-agent-host pid 7 (unplug d0)" : null,
            Failures = failures,
            LastFailure = failures > 0 ? "refused" : null,
            LastFailureAt = failures > 0 ? now.AddSeconds(-5) : null,
            LastChange = lastChangeAgo is { } ago ? now.AddSeconds(-ago) : null,
        };
    }

    [Fact]
    public void EveryChangeStaysWithinTheLimitsAndTakesOnlyWhatTheGuestLetsGo() =>
        Check.One(Runs, Prop.ForAll(Inputs().ToArbitrary(), input =>
        {
            var d = AutoscalePolicy.Decide(input);
            var vm = input.Vm!;
            var latest = input.Samples.Count > 0 ? input.Samples[^1] : null;
            return d.Action switch
            {
                AutoscaleAction.Grow => d.Bytes > 0 && d.Bytes % vm.Granularity == 0 && vm.Current + d.Bytes <= input.Limits.Max && d.Bytes <= input.Limits.Step
                                        && (vm.Room is not { } room || d.Bytes <= room)
                                        && (latest!.PlugBudget is not { } budget || d.Bytes <= budget
                                            || (d.Bytes == vm.Granularity && AutoscalePolicy.RunningOut(latest, input.Limits))),
                AutoscaleAction.Shrink => d.Bytes > 0 && vm.Current - d.Bytes >= Math.Max(input.Limits.Min, vm.Boot)
                                          && (vm.VirtioMem is { } device
                                              ? d.Bytes <= latest!.CanGo[device.GuestId!] && d.Bytes <= device.Size
                                              : d.Devices.All(id => vm.Dimms.Single(x => x.Id == id) is var dimm && latest!.CanGo.ContainsKey(dimm.GuestId!))
                                                && d.Bytes == d.Devices.Sum(id => vm.Dimms.Single(x => x.Id == id).Size)
                                                && (latest!.Headroom is not { } headroom || d.Bytes <= headroom)),
                _ => d.Bytes == 0,
            };
        }));

    [Fact]
    public void NothingIsDoneWithoutFreshDataDuringAMigrationForAnotherCommandOrWhileBackingOff() =>
        Check.One(Runs, Prop.ForAll(Inputs().ToArbitrary(), input =>
        {
            var d = AutoscalePolicy.Decide(input);
            var stale = input.Samples.Count == 0 || input.Now - input.Samples[^1].Time > input.Limits.StaleAfter;
            var migrating = input.Migration != MigrationPhase.None;
            var backingOff = input.Failures > 0 && input.Now < input.LastFailureAt!.Value + AutoscalePolicy.Backoff(input.Failures);
            var acts = d.Action is AutoscaleAction.Grow or AutoscaleAction.Shrink;
            return !acts || (!stale && !migrating && input.HeldBy is null && !backingOff && input.Failures < input.Limits.MaxFailures);
        }));

    [Fact]
    public void NoShrinkWithinTheWindowOfAChangeUnlessAboveTheMaximum() =>
        Check.One(Runs, Prop.ForAll(Inputs().ToArbitrary(), input =>
        {
            var d = AutoscalePolicy.Decide(input);
            return d.Action != AutoscaleAction.Shrink || input.Vm!.Current > input.Limits.Max
                   || (input.LastChange is not { } change || input.Now - change >= input.Limits.Window);
        }));

    /// <summary>
    /// A guest driven by the policy on a virtual clock: a load that flips between two levels faster than the window,
    /// for ten minutes, grows the VM at most once per rise and never shrinks it; memory never goes above the maximum.
    /// </summary>
    [Fact]
    public void ALoadThatFlipsFasterThanTheWindowIsNeverShrunkAndGrowsAtMostOncePerRise() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(60), Prop.ForAll(
            (from halfPeriod in Gen.Choose(2, 29)
             from lowMiB in Gen.Choose(100, 400)
             from highMiB in Gen.Choose(500, 1400)
             from virtio in Gen.Elements(false, true)
             select (halfPeriod, lowMiB, highMiB, virtio)).ToArbitrary(),
            wave =>
            {
                var (halfPeriod, lowMiB, highMiB, virtio) = wave;
                var run = Simulate(TimeSpan.FromMinutes(10), t => (t / halfPeriod) % 2 == 0 ? lowMiB * M : highMiB * M, virtio);
                var rises = (600 / halfPeriod / 2) + 1;
                TestContext.Current.TestOutputHelper?.WriteLine($"{wave}: {run}");
                return run.Shrinks == 0 && run.Grows <= rises && run.Peak <= Limits.Max;
            }));

    [Fact]
    public void AStaircaseIsGrownAheadOfItAndGivenBackToWithinAStepOfTheMinimumAfterItEnds()
    {
        // 200 MiB more every 3 s up to 1.6 GiB, held 30 s, then gone: never short, and back near the minimum afterwards.
        var run = Simulate(TimeSpan.FromMinutes(6), t => t < 24 ? (t / 3 * 200 * M) : t < 54 ? 1600 * M : 0, virtio: false);
        TestContext.Current.TestOutputHelper?.WriteLine(run.ToString());

        Assert.Equal(0, run.Short);
        Assert.True(run.Grows >= 2, $"{run.Grows} grows");
        Assert.True(run.Shrinks >= 1, $"{run.Shrinks} shrinks");
        Assert.True(run.End <= Limits.Min + Limits.Step, $"ends at {run.End >> 20} MiB");
    }

    private sealed record Run(int Grows, int Shrinks, long Peak, long End, int Short);

    /// <summary>
    /// One report a second from a guest of the VM's memory less 64 MiB for the kernel and 150 MiB of its own use plus
    /// <paramref name="load"/>; each step takes effect <paramref name="reactionSeconds"/> after it was decided (a DIMM per
    /// grow, every DIMM can go); a second with less than 5 % available counts as short (reclaim stalls, the OOM killer is near).
    /// </summary>
    private static Run Simulate(TimeSpan length, Func<int, long> load, bool virtio, int reactionSeconds = 2)
    {
        (AutoscaleDecision Decision, int At)? pending = null;
        var limits = Limits;
        var dimms = new List<VmDevice>();
        var plugged = 0L;
        var samples = new List<GuestSample>();
        DateTimeOffset? lastChange = null;
        var (grows, shrinks, peak, shortSeconds) = (0, 0, G, 0);
        for (var t = 0; t < (int)length.TotalSeconds; t++)
        {
            var now = Start.AddSeconds(t);
            var current = G + plugged;
            var total = current - (64 * M);
            var available = total - (150 * M) - load(t);
            shortSeconds += available < total / 20 ? 1 : 0;
            var canGo = virtio ? new Dictionary<string, long> { ["vm"] = plugged } : dimms.ToDictionary(d => d.GuestId!, d => d.Size);
            samples.Add(new GuestSample { Time = now, Total = total, Available = Math.Max(0, available), PressureSome = available < total / 10 ? 30 : 0, CanGo = canGo });
            var vm = new VmShape
            {
                Boot = G, Current = current, Granularity = 128 * M, Room = 8 * G - current,
                VirtioMem = virtio ? new VmDevice("vm0", plugged, "vm") : null, Dimms = virtio ? [] : dimms.ToList(),
            };
            if (pending is null)
            {
                var decided = AutoscalePolicy.Decide(new AutoscaleInput { Limits = limits, Now = now, Samples = samples.ToList(), Vm = vm, LastChange = lastChange });
                pending = decided.Action is AutoscaleAction.Grow or AutoscaleAction.Shrink ? (decided, t) : null;
            }

            // A step takes effect (and ends) a few seconds after it was decided, as a plug or an unplug does.
            if (pending is not { } step || t < step.At + reactionSeconds)
            {
                peak = Math.Max(peak, G + plugged);
                continue;
            }

            pending = null;
            var d = step.Decision;
            if (d.Action == AutoscaleAction.Grow)
            {
                grows++;
                plugged += d.Bytes;
                dimms.Add(new VmDevice("d" + t, d.Bytes, "g" + t));
                lastChange = now;
            }
            else if (d.Action == AutoscaleAction.Shrink)
            {
                shrinks++;
                plugged -= d.Bytes;
                dimms.RemoveAll(x => d.Devices.Contains(x.Id));
                lastChange = now;
            }

            peak = Math.Max(peak, G + plugged);
        }

        return new Run(grows, shrinks, peak, G + plugged, shortSeconds);
    }
}
