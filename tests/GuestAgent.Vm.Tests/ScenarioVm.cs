using System.Globalization;
using System.Text.Json.Nodes;
using GuestAgent.VmHarness;

namespace GuestAgent.Vm.Tests;

/// <summary>
/// A guest of its own for one class of end-to-end scenarios: booted, the real agent running in it, the real
/// <c>guest-agent-host</c> run against it from the host, and the guest kernel read through the control shell.
/// </summary>
public class ScenarioVm : IAsyncLifetime
{
    private TestVm? _vm;
    private QmpTestClient? _qmp;

    public TestVm Vm => _vm ?? throw new InvalidOperationException("not started");

    /// <summary>The tests' own QMP monitor, independent of the controller's.</summary>
    public QmpTestClient Qmp => _qmp ?? throw new InvalidOperationException("not started");

    public long BootMemTotalKb { get; private set; }

    /// <summary>Arguments for the agent's <c>run</c>.</summary>
    protected virtual string AgentArguments => "";

    /// <summary>The guest kernel: 5.10, 6.1 or 6.12 (<see cref="VmImage.Kernels"/>).</summary>
    public virtual string Kernel => VmImage.DefaultKernel;

    /// <summary>Whether the agent is started once the guest is up (else the scenario starts it).</summary>
    protected virtual bool StartsAgent => true;

    /// <summary>Added to the guest kernel's command line (see tests/vm/init).</summary>
    protected virtual string KernelArguments => "";

    /// <summary>Whether the agent's virtio-serial port is there at boot.</summary>
    protected virtual bool AgentPortAtBoot => true;

    /// <summary>Runs once the guest's control shell answers, before the agent is started.</summary>
    protected virtual Task BootedAsync() => Task.CompletedTask;

    /// <summary>Boots the guest: QEMU started by the test (default), or a libvirt domain.</summary>
    protected virtual async Task<TestVm> StartVmAsync() => await VmStart.StartOrSkipAsync(KernelArguments, Kernel, AgentPortAtBoot);

    /// <summary>Whether the test has a QMP monitor of its own (not under libvirt, which owns QEMU's).</summary>
    protected virtual bool HasTestMonitor => true;

    /// <summary>Ends what <see cref="StartVmAsync"/> started besides the VM.</summary>
    protected virtual ValueTask StopExtrasAsync() => ValueTask.CompletedTask;

    public async ValueTask InitializeAsync()
    {
        _vm = await StartVmAsync();
        if (HasTestMonitor)
        {
            _qmp = await QmpTestClient.ConnectAsync(_vm.QmpSocket);
        }

        await BootedAsync();
        BootMemTotalKb = await MemTotalKbAsync();
        if (StartsAgent)
        {
            await _vm.StartAgentAsync(AgentArguments);
        }
    }

    public Task<HostControllerRun> HostAsync(params string[] arguments) => HostControllerRun.RunAsync(Vm, arguments);

    public async Task<long> MemTotalKbAsync() =>
        long.Parse((await Vm.Shell.CheckAsync("awk '/MemTotal/ {print $2}' /proc/meminfo")).Trim(), CultureInfo.InvariantCulture);

    /// <summary>QEMU's DIMMs: id → (slot, addr, size).</summary>
    public async Task<Dictionary<string, (int Slot, long Addr, long Size)>> QemuDimmsAsync() =>
        (await Qmp.ExecuteAsync("query-memory-devices"))!.AsArray().Select(d => d!["data"]!).ToDictionary(
            d => d["id"]!.GetValue<string>(),
            d => (d["slot"]!.GetValue<int>(), d["addr"]!.GetValue<long>(), d["size"]!.GetValue<long>()));

    /// <summary>What the guest kernel says of the blocks of [addr, addr+size): "online Movable", "offline", or "absent" per block.</summary>
    public async Task<IReadOnlyList<string>> GuestBlocksAsync(long addr, long size)
    {
        var first = addr / (128L << 20);
        var count = size / (128L << 20);
        var script = string.Join("; ", Enumerable.Range(0, (int)count).Select(i =>
        {
            var dir = $"/sys/devices/system/memory/memory{first + i}";
            return $"if [ -d {dir} ]; then echo \"$(cat {dir}/state) $(cat {dir}/valid_zones)\"; else echo absent; fi";
        }));
        return (await Vm.Shell.CheckAsync(script)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    public async Task<JsonNode> StatusAsync()
    {
        var run = (await HostAsync("status", "--json")).Check();
        return JsonNode.Parse(run.Output)!;
    }

    /// <summary>
    /// Runs a scenario step; if it fails, the guest agent's log and the guest's kernel messages are added, read within
    /// 20 s from <paramref name="guest"/> (where the guest runs now; this fixture's VM unless given), so that a guest
    /// that cannot answer (paused, or left behind by a migration) never hides the failure.
    /// </summary>
    public async Task WithGuestLogAsync(Func<Task> body, Func<TestVm?>? guest = null)
    {
        try
        {
            await body();
        }
        catch (Exception e) when (e is not Xunit.Sdk.IAssertionException and not Xunit.Sdk.SkipException)
        {
            string log;
            try
            {
                var where = guest?.Invoke() ?? Vm;
                log = (await where.Shell.RunAsync("cat /tmp/agent.log; echo ---; dmesg | tail -30", TimeSpan.FromSeconds(20))).Output;
            }
            catch (Exception logError) when (logError is OperationCanceledException or IOException or InvalidOperationException)
            {
                log = $"(the guest's log could not be read: {logError.Message})";
            }

            throw new InvalidOperationException($"{e.Message}\n--- guest agent log, dmesg ---\n{log}", e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_qmp is not null)
        {
            await _qmp.DisposeAsync();
        }

        if (_vm is not null)
        {
            await _vm.DisposeAsync();
        }

        await StopExtrasAsync();

        GC.SuppressFinalize(this);
    }
}
