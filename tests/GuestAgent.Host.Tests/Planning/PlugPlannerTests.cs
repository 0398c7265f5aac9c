using GuestAgent.Host.Planning;

namespace GuestAgent.Host.Tests.Planning;

public sealed class PlugPlannerTests
{
    private const long M = 1L << 20;

    [Theory]
    [InlineData(192, 128, 0, 4096, "block size")]
    [InlineData(384, 256, 0, 4096, "plug multiple")]
    [InlineData(256, 128, 8, 4096, "no free DIMM slot")]
    [InlineData(4096, 128, 0, 4096, "beyond the VM's maximum")]
    [InlineData(0, 128, 0, 4096, "larger than zero")]
    public void RefusesBeforeQemuIsAsked(long sizeMiB, long multipleMiB, int usedSlots, long maxMiB, string message)
    {
        var limits = new VmLimits { BlockSize = 128 * M, Multiple = multipleMiB * M, Slots = 8, MaxMemory = maxMiB * M };

        Assert.Contains(message, PlugPlanner.Check(sizeMiB * M, limits, new MemoryLayout(1024 * M, 0, usedSlots)), StringComparison.Ordinal);
    }

    [Fact]
    public void AVirtioMemRegionTakesItsWholeSizeOutOfMaxMemory()
    {
        // QEMU counts a virtio-mem device's whole region against maxmem, however little of it is plugged.
        var limits = new VmLimits { BlockSize = 128 * M, Multiple = 128 * M, Slots = 8, MaxMemory = 4096 * M };
        var layout = new MemoryLayout(1024 * M, 0, 0, OtherDeviceRegions: 1024 * M);

        var refusal = PlugPlanner.Check(2560 * M, limits, layout);

        Assert.Equal("2560 MiB more would make 4608 MiB, virtio-mem regions 1 GiB included, beyond the VM's maximum of 4 GiB (room left: 2 GiB)", refusal);
        Assert.Null(PlugPlanner.Check(2048 * M, limits, layout));
        Assert.Equal(2048 * M, layout.RoomUnder(4096 * M));
    }

    [Fact]
    public void AllowsAnAlignedDimmWithinTheLimits()
    {
        var limits = new VmLimits { BlockSize = 128 * M, Multiple = 256 * M, Slots = 8, MaxMemory = 4096 * M };

        Assert.Null(PlugPlanner.Check(512 * M, limits, new MemoryLayout(1024 * M, 256 * M, 1)));
        Assert.Null(PlugPlanner.Check(512 * M, limits with { Slots = null, MaxMemory = null }, new MemoryLayout(1024 * M, 256 * M, 100)));
        Assert.Equal(256 * M, limits.Granularity);
        Assert.Equal(2048 * M, (limits with { BlockSize = 2048 * M }).Granularity);
    }

    [Fact]
    public void NamesAreTheLowestFree()
    {
        Assert.Equal(new DeviceNames("ga-dimm0", "ga-mem0"), DeviceNames.Next([]));
        Assert.Equal(new DeviceNames("ga-dimm2", "ga-mem2"), DeviceNames.Next(["ga-dimm0", "ga-mem1", "dimm7"]));
    }
}
