using GuestAgent.Memory.Capacity;
using GuestAgent.Memory.Model;
using GuestAgent.Memory.Readiness;
using GuestAgent.Memory.Sysfs;
using GuestAgent.TestSupport;

namespace GuestAgent.Memory.Tests.Readiness;

/// <summary>How much of a virtio-mem device the guest can give back now, read from a fake sysfs and iomem.</summary>
public sealed class VirtioMemReadinessTests
{
    private const long M = 1L << 20;

    /// <summary>
    /// A 1 GiB device at block 32 with blocks 32.. as given ("Movable", "Normal", "offline"), the kernel's zone
    /// accounting derived from them as the kernel keeps it (<see cref="FakeProcTree.AccountFor"/>), plugged whole unless
    /// <paramref name="plugged"/> says what is plugged in a block; <paramref name="capacity"/>'s MemAvailable (null:
    /// unreadable).
    /// </summary>
    private static DimmReadiness Evaluate(CapacitySample? capacity, string[] blocks, IReadOnlyDictionary<int, long>? plugged = null, Action<FakeSysfsTree>? more = null)
    {
        using var tree = new FakeSysfsTree();
        using var proc = new FakeProcTree();
        tree.AddBootMemory(8);
        for (var i = 0; i < blocks.Length; i++)
        {
            if (blocks[i] == "offline")
            {
                tree.AddBlock(32 + i, "offline", "Normal Movable");
            }
            else
            {
                tree.AddBlock(32 + i, "online", blocks[i]);
            }
        }

        more?.Invoke(tree);
        foreach (var (block, bytes) in plugged ?? new Dictionary<int, long>())
        {
            proc.PluggedBytes[block] = bytes;
        }

        proc.AccountFor(tree);
        proc.SetVirtioMem(tree.BlockSize, ("virtio4", 32 * tree.BlockSize, 8 * tree.BlockSize, blocks.Length));
        var snapshot = new SysfsMemoryReader(tree.Root, iomemPath: proc.Root.Iomem).Read();
        var device = snapshot.Dimms.Single(d => d.Kind == DimmKind.VirtioMem);
        var sample = capacity is { Problem: null, Meminfo: { } meminfo } ? new CapacityReader(proc.Root).Read() with { Meminfo = meminfo } : capacity ?? CapacitySample.Unknown("?");
        return ReadinessEvaluator.Evaluate(snapshot, device, TestCapacity.Context(sample));
    }

    private static DimmReadiness Evaluate(CapacitySample capacity, params string[] blocks) => Evaluate(capacity, blocks, null);

    /// <summary>Issue 25, case 4: a block the driver added for 30 MiB is 30 MiB plugged, not 128.</summary>
    [Fact]
    public void APartlyPluggedBlockCountsWhatThePagesSay()
    {
        var r = Evaluate(TestCapacity.Plenty(), ["Movable"], new Dictionary<int, long> { [32] = 30 * M });

        Assert.Equal((30 * M, 30 * M), (r.VirtioMem!.Plugged, r.VirtioMem.Movable));
        Assert.Equal(30 * M, r.UnpluggableBytes);
        Assert.StartsWith("30 MiB plugged: 30 MiB online in Movable; all 30 MiB of that can be unplugged now", r.Reason, StringComparison.Ordinal);
    }

    /// <summary>A DIMM in the same Movable zone is managed whole: what is left over is the device's.</summary>
    [Fact]
    public void ADimmSharingTheZoneIsNotCountedAsTheDevices()
    {
        var r = Evaluate(TestCapacity.Plenty(), ["Movable", "Movable"], new Dictionary<int, long> { [33] = 64 * M }, t => t.AddDimm(0, 40, 2, "online", "Movable"));

        Assert.Equal((192 * M, 192 * M), (r.VirtioMem!.Plugged, r.VirtioMem.Movable));
    }

    [Fact]
    public void AllMovableWithRoomCanAllGoBack()
    {
        var r = Evaluate(TestCapacity.Plenty(), "Movable", "Movable", "Movable", "Movable");

        Assert.Equal(ReadinessState.Ready, r.State);
        Assert.Equal(512 * M, r.UnpluggableBytes);
        Assert.StartsWith("512 MiB plugged: 512 MiB online in Movable; all 512 MiB of that can be unplugged now", r.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void WhatTheRestOfTheGuestCanTakeBoundsTheMovablePart()
    {
        // 128 MiB reserve (the test default): 328 MiB available leaves 200 MiB to take the device's contents.
        var r = Evaluate(TestCapacity.Available(328 * M), "Movable", "Movable", "Movable", "offline");

        Assert.Equal(ReadinessState.Ready, r.State);
        Assert.Equal((128 + 200) * M, r.UnpluggableBytes);
        Assert.Contains("up to 328 MiB can be unplugged now", r.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void KernelZoneMemoryCountsForNothing()
    {
        var r = Evaluate(TestCapacity.Plenty(), "Normal", "Normal");

        Assert.Equal(ReadinessState.NotReady, r.State);
        Assert.Equal(ReadinessBlocker.KernelZone, r.Blocker);
        Assert.Equal(0, r.UnpluggableBytes);
        Assert.StartsWith("256 MiB plugged: 0 MiB online in Movable, up to 256 MiB in kernel zones", r.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AFullGuestCanGiveNothingBackAndSaysWhy()
    {
        var r = Evaluate(TestCapacity.Available(100 * M), "Movable", "Movable");

        Assert.Equal(ReadinessState.NotReady, r.State);
        Assert.Equal(ReadinessBlocker.Capacity, r.Blocker);
        Assert.Contains("must stay available (Memory:UnplugReserve)", r.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void NothingPluggedIsSaid()
    {
        var r = Evaluate(TestCapacity.Plenty());

        Assert.Equal(ReadinessBlocker.NoBlocks, r.Blocker);
        Assert.Equal("nothing of its 1 GiB region is plugged", r.Reason);
    }

    [Fact]
    public void UnknownCapacityLeavesOnlyTheOfflinePart()
    {
        var r = Evaluate(CapacitySample.Unknown("meminfo unreadable"), "Movable", "offline");

        Assert.Equal(ReadinessState.Ready, r.State);
        Assert.Equal(128 * M, r.UnpluggableBytes);
        Assert.Contains("unknown (meminfo unreadable)", r.Reason, StringComparison.Ordinal);
    }
}
