using System.Text.Json.Nodes;
using GuestAgent.VmHarness;

namespace GuestAgent.Vm.Tests;

/// <summary>
/// The core scenarios, run on each kernel of the matrix (5.10, 6.1, 6.12) in a guest of its own, each step checked
/// against the guest kernel's own view: a DIMM plugged before the agent starts; plug → every block Movable → ready →
/// unplug; a kernel-zone DIMM refused. 6.12 onlines hot-plugged memory into Normal by itself
/// (<c>CONFIG_MHP_DEFAULT_ONLINE_TYPE_ONLINE_AUTO</c>) until the agent sets <c>auto_online_blocks</c>: the trap a RHEL
/// 10 guest is in; the others leave new memory offline.
/// </summary>
public abstract class CoreScenariosOnKernel(ScenarioVm vm)
{
    private const long M = 1L << 20;
    private const string AutoOnline = "/sys/devices/system/memory/auto_online_blocks";

    /// <summary>What the kernel does with hot-plugged memory by itself, before any agent or rule.</summary>
    private string KernelDefaultAutoOnline => vm.Kernel == "6.12" ? "online" : "offline";

    [Fact]
    public Task PluggedBeforeTheAgentThenPlugReadyUnplugThenAKernelZoneRefusal() => vm.WithGuestLogAsync(async () =>
    {
        using var timing = new ScenarioTimings($"kernel {vm.Kernel}: core scenarios");
        Assert.StartsWith(vm.Kernel + ".", (await vm.Vm.Shell.CheckAsync("uname -r")).Trim(), StringComparison.Ordinal);
        Assert.Equal(KernelDefaultAutoOnline, (await vm.Vm.Shell.CheckAsync("cat " + AutoOnline)).Trim());

        // 1. A DIMM plugged while no agent runs.
        await vm.Qmp.PlugDimmAsync("early", 256 * M);
        var (_, early) = await PluggedAsync("early");
        if (KernelDefaultAutoOnline == "online")
        {
            await vm.Vm.WaitInGuestAsync(BlocksIn(early.Addr, early.Size, "Normal"), "the kernel onlining the DIMM into Normal", TimeSpan.FromSeconds(60));
        }
        else
        {
            Assert.All(await vm.GuestBlocksAsync(early.Addr, early.Size), b => Assert.StartsWith("offline", b, StringComparison.Ordinal));
        }

        await vm.Vm.StartAgentAsync();
        var row = await DimmRowAsync(early.Addr);
        if (KernelDefaultAutoOnline == "online")
        {
            // Onlined into Normal by the kernel before the agent started: not removable, and the reason says so.
            Assert.Equal("not-ready", row["readiness"]!.GetValue<string>());
            Assert.Contains("Normal", row["reason"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Contains("before the agent started", row["reason"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.All(await vm.GuestBlocksAsync(early.Addr, early.Size), b => Assert.Equal("online Normal", b));

            // make-movable offlines its blocks and onlines them Movable. Whether the offline can succeed is the
            // kernel's call: this guest's only ZONE_NORMAL is that DIMM (1 GiB of boot memory is all DMA32), so kernel
            // allocations may already sit on it. Either way the DIMM must end online, and the reply say which.
            var moved = await vm.HostAsync("make-movable", row["id"]!.GetValue<string>());
            if (moved.Code == 0)
            {
                Assert.Contains("every block is online in Movable", moved.Output, StringComparison.Ordinal);
                timing.Step($"make-movable moved it in {moved.Elapsed.TotalSeconds:0.0} s");
            }
            else
            {
                AssertMakeMovableRolledBack(moved);
                Assert.All(await vm.GuestBlocksAsync(early.Addr, early.Size), b => Assert.Equal("online Normal", b));
                Assert.Equal("not-ready", (await DimmRowAsync(early.Addr))["readiness"]!.GetValue<string>());
                timing.Step($"make-movable refused by the kernel (unmovable pages already on it) and rolled back in {moved.Elapsed.TotalSeconds:0.0} s");
            }
        }
        else
        {
            await vm.Vm.WaitInGuestAsync(BlocksMovable(early.Addr, early.Size), "the early DIMM online Movable", TimeSpan.FromSeconds(60));
        }

        var earlyMovable = (await vm.GuestBlocksAsync(early.Addr, early.Size)).All(b => b == "online Movable");
        Assert.True(earlyMovable || KernelDefaultAutoOnline == "online", "the early DIMM is Movable");
        Assert.Equal(earlyMovable ? "ready" : "not-ready", (await DimmRowAsync(early.Addr))["readiness"]!.GetValue<string>());
        Assert.Equal("online_movable", (await vm.Vm.Shell.CheckAsync("cat " + AutoOnline)).Trim());
        timing.Step("the DIMM plugged before the agent is " + (earlyMovable ? "Movable and ready" : "online Normal, not ready"));

        // 2. Plug through the host controller → every block Movable → ready → unplug both.
        var plug = (await vm.HostAsync("plug", "256M")).Check();
        var dimms = await vm.QemuDimmsAsync();
        var (id, plugged) = dimms.Single(d => d.Key != "early");
        var bootAndEarlyKb = vm.BootMemTotalKb + (earlyMovable ? 0 : early.Size / 1024);
        Assert.Contains("blocks online in Movable", plug.Output, StringComparison.Ordinal);
        Assert.All(await vm.GuestBlocksAsync(plugged.Addr, plugged.Size), b => Assert.Equal("online Movable", b));
        Assert.Equal("ready", (await DimmRowAsync(plugged.Addr))["readiness"]!.GetValue<string>());
        if (RunsContractSuites)
        {
            await RunContractSuitesAsync();
            timing.Step("sysfs contract suites passed");
        }

        (await vm.HostAsync("unplug", id)).Check();
        Assert.All(await vm.GuestBlocksAsync(plugged.Addr, plugged.Size), b => Assert.Equal("absent", b));
        if (earlyMovable)
        {
            (await vm.HostAsync("unplug", row["id"]!.GetValue<string>())).Check();
            Assert.All(await vm.GuestBlocksAsync(early.Addr, early.Size), b => Assert.Equal("absent", b));
        }

        Assert.Equal(earlyMovable ? Array.Empty<string>() : ["early"], (await vm.QemuDimmsAsync()).Keys);
        Assert.Equal(bootAndEarlyKb, await vm.MemTotalKbAsync());
        timing.Step("plugged, ready and unplugged");

        // 3. A DIMM the kernel onlines into Normal (as a distribution's udev rule or 6.12's default would) that then
        // holds kernel allocations: not ready, not moved by make-movable, refused without --force, and QEMU's refusal
        // reported with --force. Where the early DIMM stayed Normal (6.12, when kernel allocations reached it first)
        // it is that DIMM; else one plugged with auto_online_blocks=online while the agent is stopped.
        var (kzName, kz) = ("early", early);
        if (earlyMovable)
        {
            await vm.Vm.StopAgentAsync();
            Assert.Equal(KernelDefaultAutoOnline, (await vm.Vm.Shell.CheckAsync("cat " + AutoOnline)).Trim());
            await vm.Vm.Shell.CheckAsync($"echo online > {AutoOnline}");
            await vm.Qmp.PlugDimmAsync("kz", 256 * M);
            (kzName, kz) = await PluggedAsync("kz");
            await vm.Vm.WaitInGuestAsync(BlocksIn(kz.Addr, kz.Size, "Normal"), "the DIMM online Normal", TimeSpan.FromSeconds(60));
            await vm.Vm.Shell.CheckAsync($"echo {KernelDefaultAutoOnline} > {AutoOnline}");
            await vm.Vm.StartAgentAsync();
        }

        // ZONE_NORMAL is otherwise empty (1 GiB of boot memory is all DMA32): kernel allocations land on the DIMM.
        await vm.Vm.Shell.CheckAsync("mkdir -p /tmp/objects && for i in $(seq 1 3000); do : > /tmp/objects/$i; done", TimeSpan.FromMinutes(5));
        var kzRow = await DimmRowAsync(kz.Addr);
        Assert.Equal("not-ready", kzRow["readiness"]!.GetValue<string>());
        Assert.Contains("Normal", kzRow["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        var kzId = kzRow["id"]!.GetValue<string>();
        // make-movable cannot move kernel allocations: refused by the kernel, rolled back, still Normal.
        var notMoved = await vm.HostAsync("make-movable", kzId);
        AssertMakeMovableRolledBack(notMoved);
        Assert.All(await vm.GuestBlocksAsync(kz.Addr, kz.Size), b => Assert.Equal("online Normal", b));
        var refused = await vm.HostAsync("unplug", kzId);
        Assert.Equal(1, refused.Code);
        Assert.Contains("not ready", refused.Error, StringComparison.Ordinal);
        var forced = await vm.HostAsync("unplug", kzId, "--force");
        Assert.Equal(1, forced.Code);
        Assert.Contains("_OST status 0x8", forced.Error, StringComparison.Ordinal);
        Assert.Contains(kzName, (await vm.QemuDimmsAsync()).Keys);
        await vm.Vm.WaitInGuestAsync(BlocksIn(kz.Addr, kz.Size, "Normal"), "the DIMM online Normal again", TimeSpan.FromSeconds(60));
        timing.Step("kernel-zone DIMM refused");
        await vm.Vm.Shell.RunAsync("rm -rf /tmp/objects");
    });

    /// <summary>
    /// Whether the sysfs contract suites run on this kernel here (with a Movable DIMM online, as they need); on 6.1
    /// <see cref="GuestKernelTests"/> runs them.
    /// </summary>
    protected virtual bool RunsContractSuites => true;

    private async Task RunContractSuitesAsync()
    {
        var tests = Path.Combine(VmImage.RepositoryRoot(), "tests", "GuestAgent.Memory.Tests", "bin", VmImage.Configuration(), "net10.0", "GuestAgent.Memory.Tests.dll");
        var (code, output) = await vm.Vm.Shell.RunAsync(
            $"GUEST_AGENT_REAL_HOTPLUG=1 dotnet {tests} -noColor -class GuestAgent.Memory.Tests.Contract.RealKernelContractTests -class GuestAgent.Memory.Tests.Contract.RealKernelWriterTests 2>&1",
            TimeSpan.FromMinutes(5));
        Assert.True(code == 0, output);
        Assert.Matches(@"Errors: 0, Failed: 0, Skipped: [0-2],", output);
    }

    private static void AssertMakeMovableRolledBack(HostControllerRun run)
    {
        Assert.True(run.Code == 1, run.Output + run.Error);
        Assert.Contains("could not be offlined", run.Error, StringComparison.Ordinal);
        Assert.Contains("it stays where it was (EBUSY)", run.Error, StringComparison.Ordinal);
    }

    private async Task<(string Id, (int Slot, long Addr, long Size) Dimm)> PluggedAsync(string id)
    {
        var dimm = (await vm.QemuDimmsAsync())[id];
        var last = (dimm.Addr + dimm.Size) / (128 * M) - 1;
        await vm.Vm.WaitInGuestAsync($"test -d /sys/devices/system/memory/memory{last}", $"the blocks of {id}", TimeSpan.FromSeconds(60));
        return (id, dimm);
    }

    private async Task<JsonNode> DimmRowAsync(long addr) =>
        (await vm.StatusAsync())["dimms"]!.AsArray().Single(d => d!["addr"]!.GetValue<long>() == addr)!;

    private static string BlocksMovable(long addr, long size) => BlocksIn(addr, size, "Movable");

    private static string BlocksIn(long addr, long size, string zone)
    {
        var first = addr / (128 * M);
        var files = string.Join(' ', Enumerable.Range(0, (int)(size / (128 * M))).Select(i => $"/sys/devices/system/memory/memory{first + i}/valid_zones"));
        return $"test \"$(cat {files} | sort -u)\" = {zone}";
    }
}
