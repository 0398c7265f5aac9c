using GuestAgent.Memory.Sysfs;
using GuestAgent.Memory.Uevents;

namespace GuestAgent.Memory.Tests.Uevents;

/// <summary>
/// The real netlink socket against this machine's kernel: writing <c>change</c> to a memory block's <c>uevent</c> file
/// makes the kernel send a <c>SUBSYSTEM=memory</c> event. Skips itself where the kernel has no memory blocks or
/// the process may not trigger events (not root).
/// </summary>
public class NetlinkUeventSourceTests
{
    [Fact]
    public async Task ReceivesAKernelMemoryEvent()
    {
        var trigger = Path.Combine(SysfsRoot.Default.MemoryDirectory, "memory0", "uevent");
        if (!File.Exists(trigger) || Environment.UserName != "root")
        {
            Assert.Skip("needs root and /sys/devices/system/memory/memory0");
        }

        using var source = NetlinkUeventSource.Open();
        Assert.True(source.ReceiveBufferBytes >= 1024 * 1024, $"receive buffer only {source.ReceiveBufferBytes} bytes");
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var received = Task.Run(async () =>
        {
            await foreach (var e in source.ReadAllAsync(limit.Token))
            {
                if (e.IsMemoryBlock(out var id) && id == 0 && e.Action == "change")
                {
                    return e;
                }
            }

            return null;
        });

        // Trigger repeatedly until seen: the first write may land before the receive is posted.
        while (!received.IsCompleted && !limit.IsCancellationRequested)
        {
            await File.WriteAllTextAsync(trigger, "change", TestContext.Current.CancellationToken);
            await Task.WhenAny(received, Task.Delay(200, TestContext.Current.CancellationToken));
        }

        var uevent = await received;
        Assert.NotNull(uevent);
        Assert.Equal("/devices/system/memory/memory0", uevent.DevPath);
    }
}
