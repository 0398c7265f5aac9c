using GuestAgent.Memory.Model;
using GuestAgent.Memory.Sysfs;
using GuestAgent.Memory.Writing;

namespace GuestAgent.Memory.Tests.Contract;

/// <summary>
/// The real writer against a real kernel with hot-plugged DIMMs online in Movable, held to the writer contract the fake
/// kernel writer is held to. It changes memory state, so it runs only where <c>GUEST_AGENT_REAL_HOTPLUG=1</c> (the
/// end-to-end test VM sets it, with DIMMs plugged Movable), and leaves every block as it found it. Offlines
/// go through the killable child (<c>guest-agent write-state</c>), as the agent's do.
/// </summary>
public sealed class RealKernelWriterTests : BlockStateWriterContract
{
    protected override (IBlockStateWriter Writer, SysfsMemoryReader Reader, IReadOnlyList<int> Movable) Target()
    {
        if (Environment.GetEnvironmentVariable("GUEST_AGENT_REAL_HOTPLUG") != "1")
        {
            Assert.Skip("changes real memory state: runs in the end-to-end test VM (GUEST_AGENT_REAL_HOTPLUG=1)");
        }

        var reader = new SysfsMemoryReader(SysfsRoot.Default);
        var snapshot = reader.Read();
        var movable = snapshot.Dimms.Where(d => d.Kind == DimmKind.Acpi).SelectMany(snapshot.BlocksOf).Where(b => b.IsOnlineMovable).Select(b => b.Id).Order().ToList();
        var top = new List<int>();
        foreach (var id in Enumerable.Reverse(movable))
        {
            if (top.Count > 0 && id != top[0] - 1)
            {
                break;
            }

            top.Insert(0, id);
        }

        if (top.Count < 2)
        {
            throw new InvalidOperationException("needs at least two consecutive hot-plugged blocks online in Movable (a DIMM of 256 MiB)");
        }

        return (TestSupport.TestStateWriter.For(SysfsRoot.Default), reader, top);
    }
}
