using System.Xml.Linq;
using GuestAgent.VmHarness;

namespace GuestAgent.Vm.Tests;

/// <summary>
/// The test guest as a domain of a private libvirtd (<see cref="LibvirtDaemon"/>), with the agent running in it: the
/// controller reaches it with <c>--connect</c> and <c>--domain</c> only (the agent's channel and the limits come from
/// the domain XML); <c>virsh</c> is the tests' independent client.
/// </summary>
public class LibvirtGuestVm : ScenarioVm
{
    private LibvirtDaemon? _libvirt;

    public LibvirtDaemon Libvirt => _libvirt ?? throw new InvalidOperationException("not started");

    public string Domain => Vm.DomainName!;

    protected override bool HasTestMonitor => false;

    /// <summary>Whether the domain has a virtio-mem device (<see cref="TestDomainXml.VirtioMemAlias"/>).</summary>
    protected virtual bool VirtioMem => false;

    protected override async Task<TestVm> StartVmAsync()
    {
        try
        {
            _libvirt = await LibvirtDaemon.StartAsync();
            return await TestVm.StartUnderLibvirtAsync(_libvirt, virtioMem: VirtioMem);
        }
        catch (VmImageMissingException e) when (!VmImage.Required)
        {
            Assert.Skip(e.Message);
            throw;
        }
    }

    protected override async ValueTask StopExtrasAsync()
    {
        if (_libvirt is not null)
        {
            await _libvirt.DisposeAsync();
        }
    }

    /// <summary>The DIMMs in libvirt's live XML (<c>virsh dumpxml</c>): alias → (slot, base, size in bytes).</summary>
    public async Task<Dictionary<string, (int Slot, long Base, long Size)>> VirshDimmsAsync()
    {
        var xml = XDocument.Parse(await Libvirt.VirshCheckAsync("dumpxml", Domain));
        return xml.Root!.Element("devices")!.Elements("memory").Where(m => (string?)m.Attribute("model") == "dimm").ToDictionary(
            m => (string)m.Element("alias")!.Attribute("name")!,
            m => (
                (int)m.Element("address")!.Attribute("slot")!,
                Convert.ToInt64((string)m.Element("address")!.Attribute("base")!, 16),
                (long)m.Element("target")!.Element("size")! * 1024));
    }

    /// <summary>Attaches a DIMM of <paramref name="mib"/> MiB with virsh, as an administrator would (libvirt names it dimmN).</summary>
    public async Task AttachWithVirshAsync(int mib)
    {
        var file = Path.Combine(Vm.SharedDirectory, $"dimm-{Guid.NewGuid():N}.xml");
        await File.WriteAllTextAsync(file, $"<memory model='dimm'><target><size unit='MiB'>{mib}</size><node>0</node></target></memory>");
        await Libvirt.VirshCheckAsync("attach-device", Domain, file, "--live");
    }
}
