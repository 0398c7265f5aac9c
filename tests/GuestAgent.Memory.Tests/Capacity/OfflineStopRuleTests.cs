using GuestAgent.Memory.Capacity;

namespace GuestAgent.Memory.Tests.Capacity;

public class OfflineStopRuleTests
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(5);

    [Fact]
    public void FallingAvailableMemoryStopsTheOfflineUnlessForced()
    {
        PressureReading[] readings = [new(TimeSpan.Zero, 900L << 20, null), new(TimeSpan.FromSeconds(1), 300L << 20, null)];

        var stop = OfflineStopRule.Check(readings, 256L << 20, 128L << 20, force: false, 50, Window);
        var forced = OfflineStopRule.Check(readings, 256L << 20, 128L << 20, force: true, 50, Window);
        var fine = OfflineStopRule.Check(readings, 128L << 20, 128L << 20, force: false, 50, Window);

        Assert.Equal("available memory fell to ~300 MiB while ~256 MiB of the DIMM was still online: finishing would leave ~44 MiB, under half the reserve of 128 MiB (something else in the guest is taking memory)", stop);
        Assert.Null(forced);
        Assert.Null(fine);
    }

    [Fact]
    public void SustainedFullStallsStopItEvenWhenForced()
    {
        var readings = Enumerable.Range(0, 25).Select(i => new PressureReading(TimeSpan.FromMilliseconds(250 * i), 2L << 30, i * 200_000L)).ToList(); // 80% stalled

        var stop = OfflineStopRule.Check(readings, 0, 128L << 20, force: true, 50, Window);
        var off = OfflineStopRule.Check(readings, 0, 128L << 20, force: true, 0, Window);
        var tooEarly = OfflineStopRule.Check(readings.Take(10).ToList(), 0, 128L << 20, force: true, 50, Window);

        Assert.Equal("the guest is stalling on memory: every task waited for memory 80% of the last 5 s (PSI full; limit 50%, Memory:OfflinePressureLimit)", stop);
        Assert.Null(off);
        Assert.Null(tooEarly); // less than a window of readings
    }

    [Fact]
    public void AKernelWithoutPsiOrMeminfoNeverStopsIt()
    {
        PressureReading[] readings = [new(TimeSpan.Zero, null, null), new(TimeSpan.FromSeconds(10), null, null)];

        Assert.Null(OfflineStopRule.Check(readings, 1L << 30, 128L << 20, force: false, 50, Window));
        Assert.Null(OfflineStopRule.Check([], 1L << 30, 128L << 20, force: false, 50, Window));
    }
}
