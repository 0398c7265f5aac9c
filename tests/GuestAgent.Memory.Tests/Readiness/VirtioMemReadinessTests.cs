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

    /// <summary>A 1 GiB device at block 32 with blocks 32.. as given ("Movable", "Normal", "offline").</summary>
    private static DimmReadiness Evaluate(CapacitySample capacity, params string[] blocks)
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

        proc.SetVirtioMem(tree.BlockSize, ("virtio4", 32 * tree.BlockSize, 8 * tree.BlockSize, blocks.Length));
        var snapshot = new SysfsMemoryReader(tree.Root, iomemPath: proc.Root.Iomem).Read();
        var device = snapshot.Dimms.Single(d => d.Kind == DimmKind.VirtioMem);
        return ReadinessEvaluator.Evaluate(snapshot, device, TestCapacity.Context(capacity));
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
        Assert.StartsWith("256 MiB plugged: 0 MiB online in Movable, 256 MiB in kernel zones", r.Reason, StringComparison.Ordinal);
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
