using GuestAgent.Host.Autoscale;
using GuestAgent.Host.Hypervisor;
using static GuestAgent.Host.Tests.Autoscale.Scenario;

namespace GuestAgent.Host.Tests.Autoscale;

/// <summary>The decision, inputs to action with its reason: one case per rule of docs/autoscale.md.</summary>
public class AutoscalePolicyTests
{
    private static readonly DateTimeOffset Now = Start.AddMinutes(5);

    [Fact]
    public void AGuestUnderTheBufferGrowsByEnoughToRestoreItRoundedToTheVmsUnit()
    {
        // 1 GiB, 100 MiB available: (0.2 × 1024 − 100) / 0.8 = 131 MiB → 256 MiB in 128 MiB DIMMs.
        var samples = Reports(Now, 5, G, _ => 100 * M, psi: 34);

        var decision = AutoscalePolicy.Decide(Input(samples, Dimms()));

        Assert.Equal(AutoscaleAction.Grow, decision.Action);
        Assert.Equal(256 * M, decision.Bytes);
        Assert.Equal("grow 256 MiB: available 10 % < buffer 20 %, PSI some 34 %", decision.Reason);
    }

    [Fact]
    public void AUseThatRoseInStepsIsGrownAStepAhead()
    {
        // 500 MiB more in use within 10 s: another such rise would leave nothing, so grow for the buffer after it:
        // (0.2 × 1024 − (100 − 500)) / 0.8 = 756 MiB → 768 MiB.
        var samples = Reports(Now, 10, G, i => i < 5 ? 600 * M : 100 * M);

        var decision = AutoscalePolicy.Decide(Input(samples, Dimms()));

        Assert.Equal(AutoscaleAction.Grow, decision.Action);
        Assert.Equal(768 * M, decision.Bytes);
        Assert.Equal("grow 768 MiB: available 10 % < buffer 20 %, PSI some 0 %, use rose 500 MiB in 10 s (once more would leave 0 %)", decision.Reason);
    }

    [Fact]
    public void ARiseThatAnotherLikeItWouldTakeIntoTheBufferGrowsBeforeTheBufferIsReached()
    {
        // 40 % available, but 300 MiB went in the last seconds: once more leaves 10 %. The buffer after that rise
        // needs 50 MiB; the rise is met by as much again (fewer, larger DIMMs): 300 MiB → 384 MiB.
        var samples = Reports(Now, 10, G, i => i < 7 ? 710 * M : 410 * M);

        var decision = AutoscalePolicy.Decide(Input(samples, Dimms()));

        Assert.Equal((AutoscaleAction.Grow, 384 * M), (decision.Action, decision.Bytes));
        Assert.Equal("grow 384 MiB: available 40 % >= buffer 20 %, PSI some 0 %, use rose 300 MiB in 10 s (once more would leave 11 %)", decision.Reason);
    }

    [Fact]
    public void ARiseAChangeAlreadyMadeRoomForIsNotCountedAgain()
    {
        // 250 MiB rose 6 s ago and a grow followed 3 s ago (it made room for another such rise); nothing has risen
        // since, and 34 % available is above the buffer: no second grow for the same rise.
        var samples = Reports(Now, 10, G, i => i < 5 ? 600 * M : 350 * M);

        var decision = AutoscalePolicy.Decide(Input(samples, Dimms()) with { LastChange = Now.AddSeconds(-3) });

        Assert.Equal(AutoscaleAction.Hold, decision.Action);
        Assert.DoesNotContain("rose", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ALoadComingBackToALevelItHeldEarlierIsNotProjectedFurther()
    {
        // 30 s of a load flipping every 5 s (300 MiB held, then freed): it rose 300 MiB in the last seconds again, but
        // only back to the level it held 10 s before; 40 % available is above the buffer, so nothing grows.
        var samples = Reports(Now, 30, G, i => (i / 5) % 2 == 1 ? 410 * M : 710 * M);

        var decision = AutoscalePolicy.Decide(Input(samples, Dimms()));

        Assert.Equal(AutoscaleAction.Hold, decision.Action);
        Assert.DoesNotContain("rose", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AShrinkOrAGrowIsNoRiseInUse()
    {
        // Available fell by 512 MiB because 512 MiB went away (total too): nothing rose, nothing to grow.
        var samples = Reports(Now, 10, 2 * G, _ => 1536 * M).Select((s, i) => i < 5 ? s : s with { Total = 1536 * M, Available = 1024 * M }).ToList();

        var decision = AutoscalePolicy.Decide(Input(samples, Dimms(1536 * M)) with { LastChange = Now.AddSeconds(-5) });

        Assert.Equal(AutoscaleAction.Hold, decision.Action);
        Assert.DoesNotContain("rose", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void PressureAloneGrowsByOneUnit()
    {
        var samples = Reports(Now, 5, G, _ => 400 * M, psi: 12);

        var decision = AutoscalePolicy.Decide(Input(samples, Dimms()));

        Assert.Equal((AutoscaleAction.Grow, 128 * M), (decision.Action, decision.Bytes));
        Assert.Equal("grow 128 MiB: available 39 % >= buffer 20 %, PSI some 12 %", decision.Reason);
    }

    [Theory]
    [InlineData(2944L << 20, 8L << 30, null, "the maximum 3 GiB", 128L << 20)]
    [InlineData(1L << 30, 128L << 20, null, "the room under maxmem and the free slots", 128L << 20)]
    [InlineData(1L << 30, 8L << 30, 128L << 20, "the guest's plug budget", 128L << 20)]
    [InlineData(3L << 30, 8L << 30, null, "the maximum 3 GiB", 0L)]
    public void AGrowStopsAtTheFirstLimitAndSaysWhich(long current, long room, long? budget, string limit, long expected)
    {
        var samples = Reports(Now, 5, current, _ => current / 100, psi: 50).Select(s => s with { PlugBudget = budget }).ToList();

        var decision = AutoscalePolicy.Decide(Input(samples, Dimms(current) with { Room = room }));

        if (expected == 0)
        {
            Assert.Equal(AutoscaleAction.Hold, decision.Action);
            Assert.Contains($"but {limit} leaves no room", decision.Reason, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal((AutoscaleAction.Grow, expected), (decision.Action, decision.Bytes));
            Assert.Contains($"{limit} allows", decision.Reason, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(3, 0, true)] // 3 % available: running out; a zero budget does not stop the smallest step
    [InlineData(15, 0, false)] // under the buffer but not running out: the budget holds
    public void AGuestRunningOutGetsTheSmallestStepEvenWithNoPlugBudget(int availablePercent, int psi, bool grows)
    {
        var samples = Reports(Now, 5, G, _ => G * availablePercent / 100, psi: psi).Select(s => s with { PlugBudget = 0 }).ToList();

        var decision = AutoscalePolicy.Decide(Input(samples, Dimms()));

        if (grows)
        {
            Assert.Equal((AutoscaleAction.Grow, 128 * M, true), (decision.Action, decision.Bytes, decision.PastBudget));
            Assert.EndsWith("the guest's plug budget is 0 B, but it is running out: the smallest step", decision.Reason, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(AutoscaleAction.Hold, decision.Action);
            Assert.Contains("but the guest's plug budget leaves no room", decision.Reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void AVmBelowTheMinimumGrowsToIt()
    {
        var samples = Reports(Now, 5, 768 * M, _ => 600 * M);

        var decision = AutoscalePolicy.Decide(Input(samples, Dimms(768 * M) with { Boot = 768 * M }));

        Assert.Equal((AutoscaleAction.Grow, 256 * M), (decision.Action, decision.Bytes));
        Assert.StartsWith("grow 256 MiB: memory 768 MiB is below the minimum 1 GiB", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void NothingIsDoneWithoutAFreshReportAfterTheLastChangeOrDuringAMigrationOrForAnother()
    {
        var low = Reports(Now, 5, G, _ => 50 * M, psi: 60);
        var vm = Dimms();

        Assert.Equal("no report from the agent yet", AutoscalePolicy.Decide(Input([], vm, Now)).Reason);
        Assert.Equal("no fresh report from the agent (the last is 6.0 s old)", AutoscalePolicy.Decide(Input(low, vm, Now.AddSeconds(6))).Reason);
        Assert.Equal("waiting for the guest's first report after the last change", AutoscalePolicy.Decide(Input(low, vm) with { LastChange = Now }).Reason);
        Assert.Equal("a migration holds the VM", AutoscalePolicy.Decide(Input(low, vm) with { Migration = MigrationPhase.Outgoing }).Reason);
        Assert.Equal("the VM has migrated away: autoscale it on the destination", AutoscalePolicy.Decide(Input(low, vm) with { Migration = MigrationPhase.MigratedAway }).Reason);
        Assert.Equal("guest-agent-host pid 7 (unplug ga-dimm0) has the VM: a person's command goes first",
            AutoscalePolicy.Decide(Input(low, vm) with { HeldBy = "guest-agent-host pid 7 (unplug ga-dimm0)" }).Reason);
        Assert.Equal("would grow (available 5 % < buffer 20 %, PSI some 60 %), but the hypervisor was not read", AutoscalePolicy.Decide(Input(low, null)).Reason);
    }

    [Fact]
    public void AFailedStepIsFollowedByABackoffAndRepeatedFailuresStopIt()
    {
        var low = Reports(Now, 5, G, _ => 50 * M);
        var failed = Input(low, Dimms()) with { Failures = 2, LastFailure = "QEMU said no", LastFailureAt = Now.AddSeconds(-15) };

        var backingOff = AutoscalePolicy.Decide(failed);
        var after = AutoscalePolicy.Decide(failed with { LastFailureAt = Now.AddSeconds(-20) });
        var stopped = AutoscalePolicy.Decide(failed with { Failures = 5 });

        Assert.Equal(AutoscaleAction.Hold, backingOff.Action);
        Assert.StartsWith("backing off after 2 failed steps until ", backingOff.Reason, StringComparison.Ordinal);
        Assert.EndsWith("(the last: QEMU said no)", backingOff.Reason, StringComparison.Ordinal);
        Assert.Equal(AutoscaleAction.Grow, after.Action);
        Assert.Equal(AutoscaleAction.Stop, stopped.Action);
        Assert.Equal("stopped acting after 5 failed steps in a row (the last: QEMU said no); fix the cause and start autoscale again", stopped.Reason);
        Assert.Equal([TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(40), TimeSpan.FromSeconds(300)],
            new[] { 1, 2, 3, 9 }.Select(AutoscalePolicy.Backoff));
    }

    [Fact]
    public void AComfortableGuestGivesBackTheDimmsItSaysCanGoLargestFirstKeepingTheBuffer()
    {
        // 2 GiB with 1.5 GiB available for a minute: the buffer lets (1536 − 0.25 × 2048) / 0.75 = 1365 MiB go, the step 1 GiB.
        var canGo = new Dictionary<string, long> { ["slot-a"] = 512 * M, ["slot-b"] = 256 * M, ["slot-c"] = 512 * M };
        var samples = Reports(Now, 61, 2 * G, _ => 1536 * M, canGo: canGo, headroom: 1400 * M);
        var vm = Dimms(2 * G, ("a", 512 * M, true), ("b", 256 * M, true), ("c", 512 * M, true));

        var decision = AutoscalePolicy.Decide(Input(samples, vm));

        Assert.Equal(AutoscaleAction.Shrink, decision.Action);
        Assert.Equal(["a", "c"], decision.Devices); // b would make more than the step (1 GiB)
        Assert.Equal(G, decision.Bytes);
        Assert.Equal("shrink 1 GiB (a, c): available 75 % >= buffer 20 %, PSI some 0 %, for 60 s; the guest says they can go now", decision.Reason);
    }

    [Fact]
    public void OnlyWhatTheGuestSaysCanGoAndFitsItsHeadroomTogether()
    {
        var canGo = new Dictionary<string, long> { ["slot-a"] = 512 * M, ["slot-c"] = 512 * M };
        var samples = Reports(Now, 61, 2 * G, _ => 1536 * M, canGo: canGo, headroom: 600 * M);
        var vm = Dimms(2 * G, ("a", 512 * M, true), ("b", 256 * M, true), ("c", 512 * M, true));

        var decision = AutoscalePolicy.Decide(Input(samples, vm));

        Assert.Equal(["a"], decision.Devices);
    }

    [Fact]
    public void NoShrinkBeforeTheWholeWindowWasComfortableNorWithinAWindowOfAChange()
    {
        var canGo = new Dictionary<string, long> { ["slot-a"] = 512 * M };
        var vm = Dimms(1536 * M, ("a", 512 * M, true));
        var dipped = Reports(Now, 61, 1536 * M, i => i == 30 ? 300 * M : 1200 * M, canGo: canGo);
        var young = Reports(Now, 30, 1536 * M, _ => 1200 * M, canGo: canGo);
        var steady = Reports(Now, 61, 1536 * M, _ => 1200 * M, canGo: canGo);

        Assert.Contains("not comfortable for the whole window (20 % available at ", AutoscalePolicy.Decide(Input(dipped, vm)).Reason, StringComparison.Ordinal);
        Assert.Contains("reports cover less than the last 60 s", AutoscalePolicy.Decide(Input(young, vm)).Reason, StringComparison.Ordinal);
        Assert.Contains("the last change was less than 60 s ago", AutoscalePolicy.Decide(Input(steady, vm) with { LastChange = Now.AddSeconds(-59) }).Reason, StringComparison.Ordinal);
        Assert.Equal(AutoscaleAction.Shrink, AutoscalePolicy.Decide(Input(steady, vm) with { LastChange = Now.AddSeconds(-61) }).Action);
    }

    [Fact]
    public void NeverBelowTheMinimumOrTheBootMemory()
    {
        var canGo = new Dictionary<string, long> { ["slot-a"] = 512 * M };
        var samples = Reports(Now, 61, 1536 * M, _ => 1400 * M, canGo: canGo);

        var atMin = AutoscalePolicy.Decide(Input(samples, Dimms(1536 * M, ("a", 512 * M, true)), limits: Limits with { Min = 1536 * M }));
        var overBoot = AutoscalePolicy.Decide(Input(samples, Dimms(1536 * M, ("a", 512 * M, true)) with { Boot = 1536 * M }, limits: Limits with { Min = 512 * M }));

        Assert.Equal("comfortable (available 91 % >= buffer 20 %, PSI some 0 %); nothing can go: at the minimum 1536 MiB", atMin.Reason);
        Assert.Equal(AutoscaleAction.Hold, overBoot.Action);
    }

    [Fact]
    public void AVirtioMemDeviceGivesBackWhatTheGuestCanNowWithinTheBuffer()
    {
        var canGo = new Dictionary<string, long> { ["virtio-mem@0x140000000"] = 300 * M };
        var samples = Reports(Now, 61, 2 * G, _ => 1800 * M, canGo: canGo);

        var decision = AutoscalePolicy.Decide(Input(samples, VirtioMem(G)));

        Assert.Equal((AutoscaleAction.Shrink, 256 * M), (decision.Action, decision.Bytes));
        Assert.Equal(["vm0"], decision.Devices);
        Assert.Equal("shrink 256 MiB through virtio-mem vm0: available 88 % >= buffer 20 %, PSI some 0 %, for 60 s; the guest can give back 300 MiB now", decision.Reason);
    }

    [Fact]
    public void AVmAboveTheMaximumGivesBackWhatTheGuestLetsGoWithoutWaitingTheWindow()
    {
        var canGo = new Dictionary<string, long> { ["slot-a"] = G, ["slot-b"] = 512 * M };
        var samples = Reports(Now, 3, 4 * G, _ => 3 * G, canGo: canGo);

        var decision = AutoscalePolicy.Decide(Input(samples, Dimms(4 * G, ("a", G, true), ("b", 512 * M, true), ("c", 1536 * M, true))));

        Assert.Equal(AutoscaleAction.Shrink, decision.Action);
        Assert.Equal(["a"], decision.Devices);
        Assert.StartsWith("shrink 1 GiB (a): memory 4 GiB is above the maximum 3 GiB;", decision.Reason, StringComparison.Ordinal);
    }
}
