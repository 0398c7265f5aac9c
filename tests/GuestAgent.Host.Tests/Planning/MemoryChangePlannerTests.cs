using GuestAgent.Host.Planning;

namespace GuestAgent.Host.Tests.Planning;

public sealed class MemoryChangePlannerTests
{
    private const long M = 1L << 20;

    private static readonly VmLimits Limits = new() { BlockSize = 128 * M, Multiple = 128 * M, Slots = 8, MaxMemory = 4096 * M };

    [Fact]
    public void GrowsByOneDimmRoundedUp()
    {
        var plan = MemoryChangePlanner.Plan(1500 * M, new MemoryLayout(1024 * M, 0, 0), Limits, []);

        Assert.Equal(MemoryChangeKind.Grow, plan.Kind);
        Assert.Equal(512 * M, plan.GrowBy); // 476 MiB rounded up to 128 MiB
        Assert.Equal(1536 * M, plan.Resulting);
        Assert.Contains("rounded up", plan.Note, StringComparison.Ordinal);
    }

    [Fact]
    public void ShrinksTheOvirtExampleTo1408()
    {
        UnplugCandidate[] dimms = [new("a", 256 * M, 0), new("b", 256 * M, 1), new("c", 128 * M, 2), new("d", 128 * M, 3)];

        var plan = MemoryChangePlanner.Plan(1400 * M, new MemoryLayout(1024 * M, 768 * M, 4), Limits, dimms);

        Assert.Equal(MemoryChangeKind.Shrink, plan.Kind);
        Assert.Equal(1408 * M, plan.Resulting);
    }

    [Fact]
    public void NeverGoesBelowBootMemory()
    {
        var e = Assert.Throws<InvalidOperationException>(() => MemoryChangePlanner.Plan(512 * M, new MemoryLayout(1024 * M, 256 * M, 1), Limits, [new("a", 256 * M, 0)]));
        Assert.Contains("boot memory", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SaysWhenNothingFitsOrTheTargetIsCurrent()
    {
        var e = Assert.Throws<InvalidOperationException>(() => MemoryChangePlanner.Plan(1200 * M, new MemoryLayout(1024 * M, 512 * M, 1), Limits, [new("a", 512 * M, 0)]));
        Assert.Contains("larger than the decrease", e.Message, StringComparison.Ordinal);
        Assert.Equal(MemoryChangeKind.Nothing, MemoryChangePlanner.Plan(1024 * M, new MemoryLayout(1024 * M, 0, 0), Limits, []).Kind);
    }

    [Fact]
    public void GrowthBeyondMaxmemIsRefusedBeforeQemuIsAsked()
    {
        var e = Assert.Throws<InvalidOperationException>(() => MemoryChangePlanner.Plan(8192 * M, new MemoryLayout(1024 * M, 0, 0), Limits, []));
        Assert.Contains("beyond the VM's maximum", e.Message, StringComparison.Ordinal);
    }
}
