using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using GuestAgent.Memory.Proc;

namespace GuestAgent.TestSupport;

/// <summary>
/// A procfs tree in a temporary directory with what the agent reads and writes: <c>meminfo</c>, <c>zoneinfo</c>,
/// <c>pressure/memory</c>, <c>iomem</c> and <c>self/oom_score_adj</c>, in the kernel's formats. By default the guest has plenty of
/// memory (2 GiB, 1.5 GiB available); tests change the figures.
/// </summary>
public sealed class FakeProcTree : IDisposable
{
    public const long PageSize = 4096;

    // The agent's writer, the simulated QEMU's virtio-mem driver and the test change the figures from their own threads.
    private readonly Lock _gate = new();
    private long _total = 2L << 30;
    private long _available = 1536L << 20;
    private readonly List<(int Node, string Zone, long FreePages, long ManagedPages, long HighPages, long PresentPages)> _zones =
    [
        (0, "DMA", 3840, 3840, 49, 3998),
        (0, "DMA32", 100_000, 200_000, 2_000, 258_016),
        (0, "Normal", 0, 0, 0, 0),
        (0, "Movable", 0, 0, 0, 0),
    ];

    public FakeProcTree(string? parentDirectory = null)
    {
        RootPath = Path.Combine(parentDirectory ?? Path.GetTempPath(), "fake-proc-" + Guid.NewGuid().ToString("N"));
        Root = new ProcRoot(RootPath);
        Directory.CreateDirectory(Path.Combine(RootPath, "self"));
        Directory.CreateDirectory(Path.Combine(RootPath, "pressure"));
        File.WriteAllText(Root.SelfOomScoreAdjust, "0\n");
        SetPressure(0, 0);
        Write();
    }

    public string RootPath { get; }

    public ProcRoot Root { get; }

    public long HugePagesTotal { get; set; }

    public long HugePagesFree { get; set; }

    public long BalloonPages { get; set; }

    /// <summary>Sets MemTotal and MemAvailable (bytes).</summary>
    public FakeProcTree SetMemory(long totalBytes, long availableBytes)
    {
        lock (_gate)
        {
            (_total, _available, _used) = (totalBytes, availableBytes, null);
            Write();
            return this;
        }
    }

    /// <summary>
    /// A workload instead of fixed figures: from now on MemTotal is <paramref name="bootBytes"/> plus the hot-plugged
    /// memory the zones manage (as <see cref="AccountFor"/> keeps them), and MemAvailable that less
    /// <paramref name="usedBytes"/> (never below 0), however the guest's memory changes.
    /// </summary>
    public FakeProcTree Use(long usedBytes, long bootBytes = 1L << 30)
    {
        lock (_gate)
        {
            (_used, _boot) = (usedBytes, bootBytes);
            Write();
            return this;
        }
    }

    private long? _used;
    private long _boot;

    /// <summary>Sets one zone's free and managed pages (and its high watermark); adds it if missing.</summary>
    public FakeProcTree SetZone(int node, string zone, long freePages, long managedPages, long highPages = 0)
    {
        lock (_gate)
        {
            _zones.RemoveAll(z => z.Node == node && z.Zone == zone);
            _zones.Add((node, zone, freePages, managedPages, highPages, managedPages));
            Write();
            return this;
        }
    }

    /// <summary>
    /// Writes <c>iomem</c> as a guest with 1 GiB of boot memory and these virtio-mem devices shows it: each device's
    /// region (named <c>virtioN</c>) with <paramref name="addedBlocks"/> memory blocks of <paramref name="blockSize"/>
    /// added from its start as <c>System RAM (virtio_mem)</c>.
    /// </summary>
    public void SetVirtioMem(long blockSize, params (string Device, long Start, long Size, int AddedBlocks)[] devices)
    {
        lock (_gate)
        {
            var text = new StringBuilder("00000000-00000fff : Reserved\n00001000-0009fbff : System RAM\n00100000-3ffdffff : System RAM\n  01000000-01ffffff : Kernel code\n");
            text.Append("40000000-febfffff : PCI Bus 0000:00\n  fe000000-fe003fff : 0000:00:03.0\n    fe000000-fe003fff : virtio-pci-modern\n");
            foreach (var (device, start, size, added) in devices)
            {
                text.Append(CultureInfo.InvariantCulture, $"{start:x}-{start + size - 1:x} : {device}\n");
                if (added > 0)
                {
                    // The kernel merges adjacent System RAM resources of one device into one line.
                    text.Append(CultureInfo.InvariantCulture, $"  {start:x}-{start + (added * blockSize) - 1:x} : System RAM (virtio_mem)\n");
                }
            }

            WriteWhole(Root.Iomem, text.ToString());
        }
    }

    /// <summary>
    /// Bytes plugged in a block where not all of it is (a virtio-mem device plugs a 128 MiB block in 2 MiB units and keeps
    /// the rest out of the kernel's page accounting). Blocks not listed are plugged whole.
    /// </summary>
    public ConcurrentDictionary<int, long> PluggedBytes { get; } = new();

    /// <summary>
    /// The kernel's zone accounting for hot-plugged memory, derived from <paramref name="tree"/> as the kernel keeps it:
    /// the Normal and Movable zones of each node span their online blocks (<c>present</c>) and manage the pages plugged
    /// in them (<c>managed</c>, all of a DIMM's block, the plugged units of a virtio-mem block); nothing is used, so all
    /// of it is free. Boot zones (DMA, DMA32) stay as set.
    /// </summary>
    public void AccountFor(FakeSysfsTree tree)
    {
        lock (_gate)
        {
            var blocks = new Memory.Sysfs.SysfsMemoryReader(tree.Root).Read().Blocks;
            foreach (var zone in new[] { "Normal", "Movable" })
            {
                var online = blocks.Where(b => b.Zone == zone).ToList();
                foreach (var node in online.Select(b => b.Node ?? 0).Append(0).Distinct())
                {
                    var here = online.Where(b => (b.Node ?? 0) == node).ToList();
                    var present = here.Count * tree.BlockSize / PageSize;
                    var managed = here.Sum(b => PluggedBytes.TryGetValue(b.Id, out var bytes) ? bytes : tree.BlockSize) / PageSize;
                    _zones.RemoveAll(z => z.Node == node && z.Zone == zone);
                    _zones.Add((node, zone, managed, managed, 0, present));
                }
            }

            Write();
        }
    }

    /// <summary>Sets PSI's cumulative stall totals in microseconds, and its 10 s averages in percent.</summary>
    public void SetPressure(long someTotalMicroseconds, long fullTotalMicroseconds, double someAvg10 = 0, double fullAvg10 = 0) =>
        WriteLocked(Root.MemoryPressure, string.Create(CultureInfo.InvariantCulture,
            $"some avg10={someAvg10:0.00} avg60=0.00 avg300=0.00 total={someTotalMicroseconds}\nfull avg10={fullAvg10:0.00} avg60=0.00 avg300=0.00 total={fullTotalMicroseconds}\n"));

    /// <summary>Takes PSI away, as a kernel without <c>CONFIG_PSI</c> or booted with <c>psi=0</c>.</summary>
    public void RemovePressure() => File.Delete(Root.MemoryPressure);

    public string OomScoreAdjust => File.ReadAllText(Root.SelfOomScoreAdjust).Trim();

    /// <summary>Rewrites meminfo and zoneinfo from the figures (after changing the huge page or balloon figures).</summary>
    public void Write()
    {
        lock (_gate)
        {
            if (_used is { } used)
            {
                _total = _boot + (_zones.Where(z => z.Zone is "Normal" or "Movable").Sum(z => z.ManagedPages) * PageSize);
                _available = Math.Max(0, _total - used);
            }

            var meminfo = new StringBuilder();
            void Line(string name, long kib) => meminfo.Append(CultureInfo.InvariantCulture, $"{name + ":",-16}{kib,8} kB\n");
            Line("MemTotal", _total / 1024);
            Line("MemFree", _available / 1024);
            Line("MemAvailable", _available / 1024);
            Line("Active(file)", 0);
            Line("Inactive(file)", 0);
            Line("Shmem", 0);
            meminfo.Append(CultureInfo.InvariantCulture, $"HugePages_Total: {HugePagesTotal,8}\nHugePages_Free:  {HugePagesFree,8}\n");
            Line("Hugepagesize", 2048);
            WriteWhole(Root.Meminfo, meminfo.ToString());

            var zoneinfo = new StringBuilder();
            foreach (var node in _zones.Select(z => z.Node).Distinct().Order())
            {
                var first = true;
                foreach (var z in _zones.Where(z => z.Node == node))
                {
                    zoneinfo.Append(CultureInfo.InvariantCulture, $"Node {node}, zone {z.Zone,8}\n");
                    if (first)
                    {
                        zoneinfo.Append(CultureInfo.InvariantCulture, $"  per-node stats\n      nr_inactive_anon 0\n      nr_balloon_pages {BalloonPages}\n");
                        first = false;
                    }

                    zoneinfo.Append(CultureInfo.InvariantCulture,
                        $"  pages free     {z.FreePages}\n        boost    0\n        min      {z.HighPages / 2}\n        low      {z.HighPages * 3 / 4}\n        high     {z.HighPages}\n"
                        + $"        spanned  {z.PresentPages}\n        present  {z.PresentPages}\n        managed  {z.ManagedPages}\n        cma      0\n        protection: (0, 0, 0, 0, 0)\n      nr_free_pages {z.FreePages}\n");
                }
            }

            WriteWhole(Root.Zoneinfo, zoneinfo.ToString());
        }
    }

    private void WriteLocked(string path, string text)
    {
        lock (_gate)
        {
            WriteWhole(path, text);
        }
    }

    private static void WriteWhole(string path, string text)
    {
        var temporary = path + ".new";
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite: true);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(RootPath, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: it is a temporary directory.
        }
    }
}
