using System.Collections.Concurrent;
using GuestAgent.Memory.Model;
using GuestAgent.Memory.Sysfs;
using GuestAgent.TestSupport;

namespace GuestAgent.Memory.Tests.Sysfs;

public class SysfsMemoryReaderTests
{
    [Fact]
    public void ReadsAQemuGuestWithTwoDimms()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBootMemory(8).AddDimm(slot: 0, firstBlock: 32, blockCount: 2).AddDimm(slot: 1, firstBlock: 34, blockCount: 2, state: "online", zones: "Movable");
        tree.AddAcpiDevice(slot: 2, status: 0);

        var snapshot = new SysfsMemoryReader(tree.Root, SysfsReadDetail.Full).Read();

        Assert.Equal(128L * 1024 * 1024, snapshot.BlockSize);
        Assert.Equal("offline", snapshot.Settings.AutoOnlineBlocks);
        Assert.Equal("contig-zones", snapshot.Settings.Parameters["online_policy"]);
        Assert.Equal(12, snapshot.Blocks.Count);
        Assert.Equal(3, snapshot.AcpiDevices.Count);
        Assert.Empty(snapshot.Problems);

        var slot0 = snapshot.FindDimmBySlot(0)!;
        Assert.Equal(DimmKind.Acpi, slot0.Kind);
        Assert.Equal("PNP0C80:00", slot0.AcpiDevice);
        Assert.Equal(4L << 30, slot0.StartAddress);
        Assert.Equal(256L << 20, slot0.SizeBytes);
        Assert.Equal([32, 33], slot0.BlockIds);
        Assert.Equal(0, slot0.Node);

        var boot = Assert.Single(snapshot.Dimms, d => d.Kind == DimmKind.Boot);
        Assert.Equal(Enumerable.Range(0, 8), boot.BlockIds);
        Assert.Equal(1L << 30, boot.SizeBytes);
        Assert.Null(snapshot.FindDimmBySlot(2));

        var block32 = snapshot.FindBlock(32)!;
        Assert.Equal(BlockState.Offline, block32.State);
        Assert.Equal(["Normal", "Movable"], block32.ValidZones);
        Assert.Equal(0x20, block32.PhysIndex);
        Assert.True(block32.Removable);
        Assert.False(block32.OnlineFlag);
        Assert.Equal(ZoneNames.Movable, snapshot.FindBlock(34)!.Zone);
    }

    [Theory]
    [InlineData(new[] { 32, 33, 34, 35 })] // one range in address order: its first and last link tell it
    [InlineData(new[] { 32, 34, 33, 36 })] // not: every link is read
    [InlineData(new[] { 40, 41 })]
    public void AnAcpiDevicesBlocksAreTheBlocksItLinks(int[] linked)
    {
        using var tree = new FakeSysfsTree();
        tree.AddBootMemory(8);
        foreach (var id in linked)
        {
            tree.AddBlock(id, "online", "Movable");
        }

        tree.AddAcpiDevice(slot: 0, status: 15, linked);

        var device = Assert.Single(new SysfsMemoryReader(tree.Root).Read().AcpiDevices);
        Assert.Equal(linked.Order(), device.BlockIds);
    }

    [Fact]
    public void ValidZonesOfAnOfflineBlockIsReadOnlyOnceTheBlockHasItsNode()
    {
        // A block the kernel is still adding has no node yet; reading its valid_zones then can oops the kernel.
        using var tree = new FakeSysfsTree();
        tree.AddBootMemory(8).AddBlock(32, "offline", "Normal Movable", node: null).AddBlock(33, "offline", "Normal Movable");

        var snapshot = new SysfsMemoryReader(tree.Root).Read();

        Assert.Empty(snapshot.FindBlock(32)!.ValidZones);
        Assert.Equal(["Normal", "Movable"], snapshot.FindBlock(33)!.ValidZones);
        Assert.Contains(snapshot.Problems, p => p.Subject == "memory32" && p.Message.Contains("not yet linked to its node", StringComparison.Ordinal));
        Assert.DoesNotContain(snapshot.Problems, p => p.Subject == "memory33");
    }

    [Fact]
    public void EssentialDetailReadsStateAndZonesAndTakesPhysIndexFromTheName()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBootMemory(8).AddDimm(slot: 0, firstBlock: 32, blockCount: 2);

        var block = new SysfsMemoryReader(tree.Root).Read().FindBlock(33)!;

        Assert.Equal(33, block.PhysIndex);
        Assert.Equal(BlockState.Offline, block.State);
        Assert.Equal(["Normal", "Movable"], block.ValidZones);
        Assert.Null(block.Removable);
        Assert.Null(block.OnlineFlag);
    }

    [Fact]
    public void EssentialDetailReadsEveryPhysIndexWhenTheNamesDoNotMatchThem()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBlock(0).AddBlock(1).AddBlock(2);
        File.WriteAllText(tree.Root.BlockAttribute(1, "phys_index"), "00000041\n");
        File.WriteAllText(tree.Root.BlockAttribute(2, "phys_index"), "00000042\n");

        var snapshot = new SysfsMemoryReader(tree.Root).Read();

        Assert.Equal([0, 0x41, 0x42], snapshot.Blocks.Select(b => b.PhysIndex!.Value));
    }

    [Fact]
    public void BlockNumbersMayHaveGaps()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBlock(0).AddBlock(1).AddBlock(5).AddBlock(100);

        var snapshot = new SysfsMemoryReader(tree.Root).Read();

        Assert.Equal([0, 1, 5, 100], snapshot.Blocks.Select(b => b.Id));
        Assert.Equal(3, snapshot.Dimms.Count);
        Assert.Equal(DimmKind.Boot, snapshot.Dimms[0].Kind);
        Assert.All(snapshot.Dimms.Skip(1), d => Assert.Equal(DimmKind.Range, d.Kind));
    }

    [Fact]
    public void MissingAttributesOfOldKernelsGiveNullsNotErrors()
    {
        using var tree = new FakeSysfsTree(withParameters: false);
        tree.AddBlock(0, zones: null, node: null, withRemovable: false, withPhysIndex: false, withOnline: false);
        File.Delete(Path.Combine(tree.Root.MemoryDirectory, "auto_online_blocks"));

        var snapshot = new SysfsMemoryReader(tree.Root, SysfsReadDetail.Full).Read();

        var block = Assert.Single(snapshot.Blocks);
        Assert.Equal(BlockState.Online, block.State);
        Assert.Null(block.PhysIndex);
        Assert.Equal(0, block.Index);
        Assert.Empty(block.ValidZones);
        Assert.Null(block.Zone);
        Assert.Null(block.Removable);
        Assert.Null(block.Node);
        Assert.Null(snapshot.Settings.AutoOnlineBlocks);
        Assert.Empty(snapshot.Settings.Parameters);
        Assert.Empty(snapshot.Problems);
    }

    [Fact]
    public void ABlockThatVanishesBetweenListingAndReadingIsLeftOutWithAProblem()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBlock(0).AddBlock(1).AddBlock(2);
        var reader = new SysfsMemoryReader(tree.Root);
        var problems = new ConcurrentQueue<ReadProblem>();
        var listed = reader.ListBlockIds(problems);
        tree.RemoveBlock(1);

        var blocks = reader.ReadBlocks(listed, problems);

        Assert.Equal([0, 2], blocks.Select(b => b.Id));
        var problem = Assert.Single(problems);
        Assert.Equal("memory1", problem.Subject);
        Assert.Contains("vanished", problem.Message);
    }

    [Fact]
    public void AnOnlineBlockWhoseNodeIsKnownIsReadWithItsValidZonesAlone()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBlock(0, "online", "Movable");
        File.Delete(tree.Root.BlockAttribute(0, "state")); // never read

        var block = Assert.Single(new SysfsMemoryReader(tree.Root).Read().Blocks);
        Assert.Equal((BlockState.Online, "Movable"), (block.State, block.Zone));

        // A kernel before 4.13 (RHEL 7's) could print one zone for an offline block: there, state is read first.
        var older = new SysfsMemoryReader(tree.Root) { OneReadForOnlineBlocks = false }.Read();
        Assert.Equal(BlockState.Unknown, Assert.Single(older.Blocks).State);
        Assert.True(SysfsValueParser.ValidZonesTellOnlineApart(new Version(4, 18, 0)));
        Assert.False(SysfsValueParser.ValidZonesTellOnlineApart(new Version(3, 10, 0)));
        Assert.True(new SysfsMemoryReader(tree.Root).OneReadForOnlineBlocks, $"this machine's kernel {Environment.OSVersion.Version}");
    }

    [Fact]
    public void AnUnreadableStateIsUnknownAndReported()
    {
        // valid_zones as the kernel prints it for a block that is not online (one zone alone would say online, and
        // state would not be read).
        using var tree = new FakeSysfsTree();
        tree.AddBlock(0, "offline", "Normal Movable");
        File.Delete(tree.Root.BlockAttribute(0, "state"));

        var snapshot = new SysfsMemoryReader(tree.Root).Read();

        Assert.Equal(BlockState.Unknown, Assert.Single(snapshot.Blocks).State);
        Assert.Contains(snapshot.Problems, p => p.Subject == "memory0" && p.Message.Contains("state"));
    }

    [Fact]
    public void NoMemoryDirectoryGivesAnEmptyModelWithAProblem()
    {
        var root = new SysfsRoot(Path.Combine(Path.GetTempPath(), "no-sysfs-" + Guid.NewGuid().ToString("N")));

        var snapshot = new SysfsMemoryReader(root).Read();

        Assert.Empty(snapshot.Blocks);
        Assert.Empty(snapshot.Dimms);
        Assert.Contains(snapshot.Problems, p => p.Subject == "block_size_bytes");
    }

    [Fact]
    public void NodesComeFromEachBlocksLinkWhenThereIsNoNodeDirectory()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBlock(0, node: 0).AddBlock(1, node: 1);
        Directory.Delete(tree.Root.NodeDirectory, recursive: true);

        var snapshot = new SysfsMemoryReader(tree.Root).Read();

        Assert.Equal(0, snapshot.FindBlock(0)!.Node);
        Assert.Equal(1, snapshot.FindBlock(1)!.Node); // the link's name says the node even though it now dangles
    }

    [Fact]
    public void ReadsNodesPerBlockAndSplitsRangesByNode()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBlock(0, node: 0).AddBlock(1, node: 0).AddBlock(2, node: 1).AddBlock(3, node: 1);

        var snapshot = new SysfsMemoryReader(tree.Root).Read();

        Assert.Equal([0, 0, 1, 1], snapshot.Blocks.Select(b => b.Node!.Value));
        Assert.Equal(2, snapshot.Dimms.Count);
        Assert.Equal(1, snapshot.Dimms[1].Node);
    }

    [Fact]
    public void RecordsPresentAtBootFromTheBootSlots()
    {
        using var tree = new FakeSysfsTree();
        tree.AddBootMemory(8).AddDimm(0, 32, 2).AddDimm(1, 34, 2);

        var withRecord = new SysfsMemoryReader(tree.Root).Read(new HashSet<int> { 0 });
        var without = new SysfsMemoryReader(tree.Root).Read();

        Assert.True(withRecord.FindDimmBySlot(0)!.PresentAtBoot);
        Assert.False(withRecord.FindDimmBySlot(1)!.PresentAtBoot);
        Assert.Null(without.FindDimmBySlot(1)!.PresentAtBoot);
        Assert.True(without.Dimms.Single(d => d.Kind == DimmKind.Boot).PresentAtBoot);
    }
}
