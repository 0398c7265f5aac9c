using GuestAgent.TestSupport;

namespace GuestAgent.Bench;

/// <summary>Large fake sysfs trees on tmpfs, laid out as a QEMU guest with many DIMMs.</summary>
public static class ScaleTree
{
    public static string Parent => Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();

    /// <summary><paramref name="bootBlocks"/> of boot memory, then DIMMs of <paramref name="blocksPerDimm"/> blocks up to <paramref name="totalBlocks"/>.</summary>
    public static FakeSysfsTree Build(int totalBlocks, int bootBlocks, int blocksPerDimm, string dimmState)
    {
        var tree = new FakeSysfsTree(parentDirectory: Parent);
        tree.AddBlock(0, "online", "none");
        for (var i = 1; i < bootBlocks; i++)
        {
            tree.AddBlock(i, "online", "DMA32");
        }

        AddDimms(tree, bootBlocks, totalBlocks - bootBlocks, blocksPerDimm, dimmState);
        return tree;
    }

    public static void AddDimms(FakeSysfsTree tree, int firstBlock, int blocks, int blocksPerDimm, string state)
    {
        var slot = 0;
        for (var first = firstBlock; first < firstBlock + blocks; first += blocksPerDimm)
        {
            tree.AddDimm(slot++, first, Math.Min(blocksPerDimm, firstBlock + blocks - first), state, state == "offline" ? "Normal Movable" : "Movable");
        }
    }
}
