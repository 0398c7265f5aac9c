using System.Globalization;
using System.Text.Json;
using GuestAgent.Protocol.Model;
using GuestAgent.VmHarness;

namespace GuestAgent.Vm.Tests;

/// <summary>
/// A guest reboot with DIMMs plugged: QEMU keeps them across the reset, so the guest boots with them. What the guest
/// kernel does with their memory at boot is read first (sysfs, before any agent runs); the agent then reports each as
/// present at boot with readiness that matches the kernel's zones, <c>status</c> says the same, and <c>set-memory</c>
/// releases only what can go. On 6.1 the kernel leaves the DIMMs offline at boot and the agent onlines them Movable;
/// on 6.12 the kernel onlines them into Normal itself, and they are not ready.
/// </summary>
public abstract class RebootScenario(ScenarioVm vm)
{
    private const long M = 1L << 20;

    [Fact]
    public Task DimmsPlugedBeforeAGuestRebootAreReportedAsTheKernelLeftThemAndShrinkChoosesOnlyWhatCanGo() => vm.WithGuestLogAsync(async () =>
    {
        using var timing = new ScenarioTimings($"kernel {vm.Kernel}: a guest reboot with two DIMMs plugged");
        (await vm.HostAsync("plug", "256M")).Check();
        (await vm.HostAsync("plug", "256M")).Check();
        var dimms = await vm.QemuDimmsAsync();
        var memTotal = await vm.MemTotalKbAsync();

        // QEMU was started with -no-reboot: make a reset a reset, then reset the guest as a reboot would.
        await vm.Qmp.ExecuteAsync("set-action", new Dictionary<string, object> { ["reboot"] = "reset" });
        await vm.Qmp.ExecuteAsync("system_reset");
        await vm.Vm.Shell.WaitForReadyAsync(TimeSpan.FromMinutes(3));
        timing.Step("rebooted");
        Assert.Equal(dimms, await vm.QemuDimmsAsync()); // QEMU kept them

        // The kernel's own doing, before any agent: per block "online Zone" or "offline".
        var atBoot = new Dictionary<string, IReadOnlyList<string>>();
        foreach (var (id, (_, addr, size)) in dimms)
        {
            atBoot[id] = await vm.GuestBlocksAsync(addr, size);
            Assert.DoesNotContain("absent", atBoot[id]);
        }

        await vm.Vm.StartAgentAsync();
        var report = JsonSerializer.Deserialize(await vm.Vm.Shell.CheckAsync($"{VmImage.AgentBinary()} scan --json"), ModelJsonContext.Default.ModelReport)!;
        var status = await vm.StatusAsync();
        var ready = new List<string>();
        foreach (var (id, (slot, addr, size)) in dimms)
        {
            var guest = report.Dimms.Single(d => d.Slot == slot);
            var row = status["dimms"]!.AsArray().Single(r => r!["id"]!.GetValue<string>() == id)!;
            var now = await vm.GuestBlocksAsync(addr, size);
            Assert.True(guest.PresentAtBoot, $"{id}: not reported present at boot");
            Assert.Equal(row["readiness"]!.GetValue<string>(), guest.Readiness);
            if (now.All(b => b == "online Movable"))
            {
                Assert.Equal("ready", guest.Readiness);
                ready.Add(id);
            }
            else
            {
                Assert.Equal("not-ready", guest.Readiness);
                Assert.Matches("present at boot|before the agent started", guest.Reason);
            }

            timing.Step($"{id}: at boot {string.Join('/', atBoot[id].Distinct())}, now {string.Join('/', now.Distinct())}, {guest.Readiness}");
        }

        Assert.Equal(memTotal, await vm.MemTotalKbAsync());

        // Shrink by one DIMM: only a ready one may go.
        var boot = (await vm.Qmp.ExecuteAsync("query-memory-size-summary"))!["base-memory"]!.GetValue<long>();
        var shrink = await vm.HostAsync("set-memory", ((boot + (256 * M)) / M).ToString(CultureInfo.InvariantCulture) + "M");
        if (ready.Count > 0)
        {
            shrink.Check();
            var left = (await vm.QemuDimmsAsync()).Keys;
            Assert.Single(left);
            Assert.Contains(ready, id => !left.Contains(id));
            Assert.Equal(memTotal - (256 * 1024), await vm.MemTotalKbAsync());
        }
        else
        {
            Assert.NotEqual(0, shrink.Code);
            Assert.Equal(2, (await vm.QemuDimmsAsync()).Count);
        }
    });
}

/// <summary>The reboot on Debian's 6.1 kernel.</summary>
public sealed class RebootOn61(RebootVm vm) : RebootScenario(vm), IClassFixture<RebootVm>;

/// <summary>The reboot on Debian's 6.12 kernel.</summary>
public sealed class RebootOn612(Reboot612Vm vm) : RebootScenario(vm), IClassFixture<Reboot612Vm>;
