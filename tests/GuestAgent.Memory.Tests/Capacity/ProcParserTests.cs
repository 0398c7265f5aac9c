using GuestAgent.Memory.Capacity;

namespace GuestAgent.Memory.Tests.Capacity;

/// <summary>The parsers of the kernel's memory accounting, on texts as Debian's 6.1 and 6.18 kernels print them.</summary>
public class ProcParserTests
{
    private const string Meminfo = """
        MemTotal:        1963624 kB
        MemFree:          103412 kB
        MemAvailable:     768044 kB
        Buffers:            1024 kB
        Cached:           900000 kB
        Active(file):     200000 kB
        Inactive(file):   150000 kB
        Shmem:            819200 kB
        HugePages_Total:       4
        HugePages_Free:        1
        Hugepagesize:       2048 kB
        DirectMap4k:       4000 kB
        """;

    private const string Zoneinfo = """
        Node 0, zone      DMA
          per-node stats
              nr_inactive_anon 421
              nr_balloon_pages 256
          pages free     3840
                boost    0
                min      33
                low      41
                high     49
                promo    57
                spanned  4095
                present  3998
                managed  3840
                cma      0
                protection: (0, 3018, 7498, 7498, 7498)
              nr_free_pages 3840
        Node 0, zone    DMA32
          pages free     20000
                boost    0
                min      1000
                low      1250
                high     1500
                spanned  258048
                present  258048
                managed  230000
                protection: (0, 0, 0, 0, 64)
        Node 0, zone   Normal
          pages free     0
                min      0
                low      0
                high     0
                spanned  0
                present  0
                managed  0
                protection: (0, 0, 0, 0, 0)
        Node 0, zone  Movable
          pages free     102400
                boost    0
                min      32
                low      40
                high     48
                spanned  262144
                present  262144
                managed  262144
                protection: (0, 0, 0, 0, 0)
        Node 1, zone  Movable
          per-node stats
              nr_balloon_pages 0
          pages free     1000
                managed  2000
        """;

    [Fact]
    public void MeminfoFiguresAreBytes()
    {
        var m = MeminfoParser.Parse(Meminfo);

        Assert.Equal(1963624L * 1024, m.TotalBytes);
        Assert.Equal(768044L * 1024, m.AvailableBytes);
        Assert.Equal(819200L * 1024, m.ShmemBytes);
        Assert.Equal(350000L * 1024, m.FileCacheBytes);
        Assert.Equal(4, m.HugePagesTotal);
        Assert.Equal(1, m.HugePagesFree);
        Assert.Equal(2L << 20, m.HugePageSizeBytes);
        Assert.Equal(4000, m.Raw["DirectMap4k"]);
    }

    [Fact]
    public void AnOldKernelWithoutMemAvailableLeavesItUnknown()
    {
        var m = MeminfoParser.Parse("MemTotal: 1000 kB\nMemFree: 500 kB\ngarbage line\n: 5 kB\n");

        Assert.Null(m.AvailableBytes);
        Assert.Equal(500L * 1024, m.FreeBytes);
    }

    [Fact]
    public void ZoneinfoGivesEachZoneItsPagesWatermarksAndReserves()
    {
        var zones = ZoneinfoParser.Parse(Zoneinfo);

        Assert.Equal(["0 DMA", "0 DMA32", "0 Normal", "0 Movable", "1 Movable"], zones.Select(z => $"{z.Node} {z.Name}"));
        var dma = zones[0];
        Assert.Equal((3840, 33, 41, 49, 3998, 3840), (dma.FreePages, dma.MinPages, dma.LowPages, dma.HighPages, dma.PresentPages, dma.ManagedPages));
        Assert.Equal([0, 3018, 7498, 7498, 7498], dma.Protection);
        Assert.Equal(7498, dma.MaxProtection);
        Assert.Equal(256, dma.NodeStatistics["nr_balloon_pages"]);
        Assert.Equal(256, zones[1].NodeStatistics["nr_balloon_pages"]); // node-wide: every zone of the node has them
        Assert.Equal(262144 - 102400, zones[3].UsedPages);
        Assert.Equal(1000, zones[4].UsedPages);
    }

    [Fact]
    public void TheSampleAnswersPerNodeAndKernelZoneQuestions()
    {
        var sample = new CapacitySample { Meminfo = MeminfoParser.Parse(Meminfo), Zones = ZoneinfoParser.Parse(Zoneinfo) };

        Assert.Equal((262144L - 102400) * 4096, sample.MovableUsedBytes(0));
        Assert.Equal(1000L * 4096, sample.MovableUsedBytes(1));
        Assert.Equal(0, sample.MovableUsedBytes(2));
        // DMA: 3840 free - 49 high - 7498 reserve < 0 → 0; DMA32: 20000 - 1500 - 64.
        Assert.Equal((20000L - 1500 - 64) * 4096, sample.KernelFreeBytes());
        Assert.Equal(256L * 4096, sample.NodeStatistic("nr_balloon_pages") * sample.PageSize);
        Assert.Null(CapacitySample.Unknown("x").AvailableBytes);
    }

    [Fact]
    public void PressureHasSomeAndFull()
    {
        var p = PressureParser.Parse("some avg10=1.50 avg60=0.20 avg300=0.00 total=123456\nfull avg10=0.75 avg60=0.10 avg300=0.00 total=65432\n")!;

        Assert.Equal(new MemoryPressure(1.5, 123456, 0.75, 65432), p);
        Assert.Null(PressureParser.Parse("some avg10=1.50 avg60=0.20 avg300=0.00 total=123456\n"));
        Assert.Null(PressureParser.Parse(""));
    }
}
