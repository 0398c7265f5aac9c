using System.Globalization;
using GuestAgent.VmHarness;

namespace GuestAgent.Vm.Tests;

/// <summary>One guest booted for the collection, with the agent running in it.</summary>
public sealed class GuestVmFixture : IAsyncLifetime
{
    private TestVm? _vm;
    private QmpTestClient? _qmp;
    private bool _plugged;

    public TestVm Vm => _vm ?? throw new InvalidOperationException("not started");

    public QmpTestClient Qmp => _qmp ?? throw new InvalidOperationException("not started");

    public long BootMemTotalKb { get; private set; }

    public async ValueTask InitializeAsync()
    {
        _vm = await VmStart.StartOrSkipAsync();
        _qmp = await QmpTestClient.ConnectAsync(_vm.QmpSocket);
        BootMemTotalKb = long.Parse((await _vm.Shell.CheckAsync("awk '/MemTotal/ {print $2}' /proc/meminfo")).Trim(), CultureInfo.InvariantCulture);
        await _vm.StartAgentAsync();
    }

    /// <summary>Plugs two 256 MiB DIMMs once and waits until the guest kernel says every block is Movable.</summary>
    public async Task EnsureTwoDimmsAsync()
    {
        if (!_plugged)
        {
            await Qmp.PlugDimmAsync("dimm0", 256L << 20);
            await Qmp.PlugDimmAsync("dimm1", 256L << 20);
            _plugged = true;
        }

        await Vm.WaitInGuestAsync(
            "test \"$(cat /sys/devices/system/memory/memory3[2-5]/valid_zones | sort -u)\" = Movable",
            "memory32-35 Movable",
            TimeSpan.FromSeconds(60));
    }

    /// <summary>Runs a test body; if it fails, the guest agent's log is added to the failure.</summary>
    public async Task WithGuestLogAsync(Func<Task> body)
    {
        try
        {
            await body();
        }
        catch (Exception e) when (e is not Xunit.Sdk.IAssertionException)
        {
            var log = (await Vm.Shell.RunAsync("cat /tmp/agent.log")).Output;
            throw new InvalidOperationException($"{e.Message}\n--- guest agent log ---\n{log}", e);
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
    }
}
