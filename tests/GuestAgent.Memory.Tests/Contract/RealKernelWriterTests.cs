using GuestAgent.Memory.Model;
using GuestAgent.Memory.Sysfs;
using GuestAgent.Memory.Writing;

namespace GuestAgent.Memory.Tests.Contract;

/// <summary>
/// The real writer against a real kernel with a hot-plugged DIMM online in Movable: the answers the fake kernel writer
/// imitates. It changes memory state, so it runs only where <c>GUEST_AGENT_REAL_HOTPLUG=1</c> (the end-to-end test VM
/// sets it), and leaves every block as it found it.
/// </summary>
public sealed class RealKernelWriterTests
{
    private static (SysfsMemoryReader Reader, SysfsBlockStateWriter Writer, MemoryBlock Movable) Setup()
    {
        if (Environment.GetEnvironmentVariable("GUEST_AGENT_REAL_HOTPLUG") != "1")
        {
            Assert.Skip("changes real memory state: runs in the end-to-end test VM (GUEST_AGENT_REAL_HOTPLUG=1)");
        }

        var reader = new SysfsMemoryReader(SysfsRoot.Default);
        var snapshot = reader.Read();
        var movable = snapshot.Dimms.Where(d => d.Kind == DimmKind.Acpi).SelectMany(snapshot.BlocksOf).LastOrDefault(b => b.IsOnlineMovable)
                      ?? throw new InvalidOperationException("needs a hot-plugged DIMM online in Movable");
        return (reader, TestSupport.TestStateWriter.For(SysfsRoot.Default), movable);
    }

    [Fact]
    public async Task OnliningAnOnlineBlockIsEinval()
    {
        var (_, writer, movable) = Setup();

        var result = await writer.WriteAsync(movable.Id, BlockStateRequest.OnlineMovable, Timeout.InfiniteTimeSpan, TestContext.Current.CancellationToken);

        Assert.Equal(Errno.EINVAL, result.Errno);
    }

    [Fact]
    public async Task AMovableBlockOfflinesThroughTheChildAndOnlinesAgain()
    {
        var (reader, writer, movable) = Setup();

        var offline = await writer.WriteAsync(movable.Id, BlockStateRequest.Offline, TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        var afterOffline = reader.ReadBlock(movable.Id)!;
        var online = await writer.WriteAsync(movable.Id, BlockStateRequest.OnlineMovable, Timeout.InfiniteTimeSpan, TestContext.Current.CancellationToken);
        var afterOnline = reader.ReadBlock(movable.Id)!;

        Assert.True(offline.Succeeded, offline.Message);
        Assert.Equal(BlockState.Offline, afterOffline.State);
        Assert.Contains(ZoneNames.Movable, afterOffline.ValidZones); // what the fake writer also shows after an offline
        Assert.True(online.Succeeded, online.Message);
        Assert.Equal(ZoneNames.Movable, afterOnline.Zone);
    }

    [Fact]
    public async Task OffliningABlockThatSpansZonesIsEinvalThroughTheChild()
    {
        var (reader, writer, _) = Setup();
        var spanning = reader.Read().Blocks.FirstOrDefault(b => b.Zone == ZoneNames.None);
        if (spanning is null)
        {
            Assert.Skip("no block spans zones here");
        }

        var result = await writer.WriteAsync(spanning.Id, BlockStateRequest.Offline, TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        Assert.Equal(Errno.EINVAL, result.Errno);
        Assert.Equal(BlockState.Online, reader.ReadBlock(spanning.Id)!.State);
    }
}
