using System.Globalization;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using GuestAgent.VmHarness;

namespace GuestAgent.Vm.Tests;

/// <summary>
/// A domain that moves between two private libvirtds on this machine with <c>virsh migrate --live --persistent
/// --undefinesource</c> (libvirt's job, as users run it), carrying a DIMM plugged live, one plugged <c>--persistent</c>,
/// a virtio-mem device grown through the controller, and data (issue 21). Afterwards the controller on the destination's
/// connection finds every <c>ua-ga-</c> DIMM, the virtio-mem device, the agent's channel from the destination's XML and
/// the state file's history, and works there; the persistent definition followed; the source has nothing left.
/// </summary>
public sealed class LibvirtMigrationScenarios : IAsyncLifetime
{
    private const long M = 1L << 20;
    private const string Uuid = "6a1d2c3b-5555-4666-8777-988899990000";

    private LibvirtDaemon? _source;
    private LibvirtDaemon? _destination;
    private TestVm? _vm;
    private TestVm? _arrived;
    private readonly TestSupport.TemporaryDirectory _state = new();

    public async ValueTask InitializeAsync()
    {
        try
        {
            _source = await LibvirtDaemon.StartAsync();
            _destination = await LibvirtDaemon.StartAsync();
            _vm = await TestVm.StartUnderLibvirtAsync(_source, virtioMem: true, fromRam: true, uuid: Uuid);
            await _vm.StartAgentAsync();
        }
        catch (VmImageMissingException e) when (!VmImage.Required)
        {
            Assert.Skip(e.Message);
        }
    }

    private Task<HostControllerRun> HostAsync(TestVm side, params string[] arguments) =>
        HostControllerRun.RunWithAsync([.. side.HostArguments, "--state", Path.Combine(_state.Path, "vm.json"), "--lock-dir", Path.Combine(_state.Path, "locks"), .. arguments]);

    private static string Size(long bytes) => (bytes / M).ToString(CultureInfo.InvariantCulture) + "M";

    [Fact]
    public async Task AfterVirshMigrateTheDestinationsControllerFindsEverythingAndWorks()
    {
        using var timing = new ScenarioTimings("libvirt: virsh migrate between two libvirtds, the controller on the destination");
        var vm = _vm!;
        var name = vm.DomainName!;
        (await HostAsync(vm, "--persistent", "plug", "256M")).Check();
        (await HostAsync(vm, "plug", "128M")).Check();
        var before = JsonNode.Parse((await HostAsync(vm, "status", "--json")).Check().Output)!;
        var current = before["current-memory"]!.GetValue<long>();
        (await HostAsync(vm, "set-memory", Size(current + (256 * M)))).Check();
        await vm.WaitInGuestAsync("! grep -q offline /sys/devices/system/memory/memory*/state", "every block online", TimeSpan.FromSeconds(60));
        await vm.Shell.CheckAsync("dd if=/dev/urandom of=/tmp/data bs=1M count=64 2>/dev/null && sha256sum /tmp/data > /tmp/data.sum");
        timing.Step("two DIMMs (one persistent) and 256 MiB of virtio-mem through libvirt");

        _arrived = await vm.MigrateUnderLibvirtAsync(_source!, _destination!);
        timing.Step("virsh migrate --live --persistent --undefinesource done");

        var there = JsonNode.Parse((await HostAsync(_arrived, "status", "--json")).Check().Output)!;
        Assert.True(there["agent-connected"]!.GetValue<bool>(), there.ToJsonString());
        Assert.Equal(["ua-ga-dimm0", "ua-ga-dimm1"], there["dimms"]!.AsArray().Select(d => d!["id"]!.GetValue<string>()));
        Assert.All(there["dimms"]!.AsArray(), d => Assert.Equal("ready", d!["readiness"]!.GetValue<string>()));
        var device = Assert.Single(there["virtio-mem"]!.AsArray())!;
        Assert.Equal((TestDomainXml.VirtioMemAlias, 256 * M, 256 * M), (device["id"]!.GetValue<string>(), device["size"]!.GetValue<long>(), device["guest-plugged"]!.GetValue<long>()));
        Assert.Equal(0, (await _arrived.Shell.RunAsync("sha256sum -c /tmp/data.sum")).Code);

        // It works there: an unplug, a virtio-mem grow and shrink.
        (await HostAsync(_arrived, "unplug", "ua-ga-dimm1")).Check();
        var now = current + (256 * M) - (128 * M);
        (await HostAsync(_arrived, "set-memory", Size(now + (128 * M)))).Check();
        (await HostAsync(_arrived, "set-memory", Size(now))).Check();
        var live = XDocument.Parse(await _destination!.VirshCheckAsync("dumpxml", name));
        var dimms = live.Root!.Element("devices")!.Elements("memory").Where(m => (string?)m.Attribute("model") == "dimm").Select(m => (string)m.Element("alias")!.Attribute("name")!).ToList();
        Assert.Equal(["ua-ga-dimm0"], dimms);
        Assert.Equal(0, (await _arrived.Shell.RunAsync("sha256sum -c /tmp/data.sum")).Code);

        // The definition followed (the persistent DIMM in it); the source has nothing left of the domain.
        var defined = await _destination.VirshCheckAsync("dumpxml", "--inactive", name);
        Assert.Contains("ua-ga-dimm0", defined, StringComparison.Ordinal);
        Assert.DoesNotContain(name, await _source!.VirshCheckAsync("list", "--all", "--name"), StringComparison.Ordinal);
        var left = await HostAsync(vm, "status");
        Assert.Equal(1, left.Code);
        Assert.Contains($"no domain '{name}'", left.Error, StringComparison.Ordinal);
        timing.Step("the destination: unplug, virtio-mem grow and shrink; the definition followed");
    }

    public async ValueTask DisposeAsync()
    {
        if (_arrived is not null)
        {
            await _arrived.DisposeAsync();
        }

        if (_vm is not null)
        {
            await _vm.DisposeAsync();
        }

        if (_destination is not null)
        {
            await _destination.DisposeAsync();
        }

        if (_source is not null)
        {
            await _source.DisposeAsync();
        }

        _state.Dispose();
    }
}
