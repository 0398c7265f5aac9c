using GuestAgent.Memory.Iomem;

namespace GuestAgent.Memory.Tests.Iomem;

public sealed class IomemParserTests
{
    /// <summary>Debian's 6.1 kernel in QEMU with a 1 GiB virtio-mem device that has plugged 512 MiB (read in the end-to-end scenario).</summary>
    private const string Guest61 = """
        00000000-00000fff : Reserved
        00001000-0009fbff : System RAM
        0009fc00-000fffff : Reserved
          000a0000-000bffff : PCI Bus 0000:00
        00100000-3ffdffff : System RAM
          01000000-01e01d31 : Kernel code
        40000000-febfffff : PCI Bus 0000:00
          fe000000-fe003fff : 0000:00:03.0
            fe000000-fe003fff : virtio-pci-modern
        fee00000-fee00fff : Local APIC
        100000000-13fffffff : virtio4
          100000000-11fffffff : System RAM (virtio_mem)
        3c0000000-43fffffff : PCI Bus 0000:00
        fd00000000-ffffffffff : Reserved

        """;

    [Fact]
    public void TheDevicesRegionAndWhatItsDriverAddedAreFound()
    {
        var region = Assert.Single(IomemParser.VirtioMemRegions(Guest61, out var problem));

        Assert.Null(problem);
        Assert.Equal("virtio4", region.Device);
        Assert.Equal(0x100000000, region.Start);
        Assert.Equal(1L << 30, region.Size);
        Assert.Equal(512L << 20, region.AddedBytes);
        Assert.True(region.Contains(0x13fffffff));
        Assert.False(region.Contains(0x140000000));
    }

    [Fact]
    public void SeveralDevicesAndOnesWithNothingAddedAreAllFound()
    {
        var text = "100000000-13fffffff : virtio4\n  100000000-107ffffff : System RAM (virtio_mem)\n  110000000-117ffffff : System RAM (virtio_mem)\n"
            + "140000000-17fffffff : virtio7\n180000000-1bfffffff : System RAM\n";

        var regions = IomemParser.VirtioMemRegions(text, out _);

        Assert.Equal(["virtio4", "virtio7"], regions.Select(r => r.Device));
        Assert.Equal([256L << 20, 0], regions.Select(r => r.AddedBytes));
    }

    [Fact]
    public void OtherVirtioResourcesAreNotVirtioMem()
    {
        var text = "fe000000-fe003fff : 0000:00:03.0\n  fe000000-fe003fff : virtio-pci-modern\n100000000-13fffffff : virtio_pmem\n";

        Assert.Empty(IomemParser.VirtioMemRegions(text, out var problem));
        Assert.Null(problem);
    }

    [Fact]
    public void AddressesHiddenFromAnUnprivilegedReaderAreReportedNotGuessed()
    {
        var regions = IomemParser.VirtioMemRegions("00000000-00000000 : System RAM\n00000000-00000000 : virtio4\n  00000000-00000000 : System RAM (virtio_mem)\n", out var problem);

        Assert.Empty(regions);
        Assert.Contains("CAP_SYS_ADMIN", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("zz-10 : virtio1")]
    [InlineData("20-10 : virtio1")]
    public void AnUnreadableLineIsReportedAndSkipped(string line)
    {
        var regions = IomemParser.VirtioMemRegions(line + "\n100000000-13fffffff : virtio4\n", out var problem);

        Assert.Single(regions);
        Assert.StartsWith("an unreadable line in /proc/iomem", problem, StringComparison.Ordinal);
    }
}
