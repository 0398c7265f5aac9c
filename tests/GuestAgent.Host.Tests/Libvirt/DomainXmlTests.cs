using System.Xml.Linq;
using GuestAgent.Host.Libvirt;

namespace GuestAgent.Host.Tests.Libvirt;

/// <summary>The domain XML as libvirt 9.0 gives it (shapes taken from <c>virsh dumpxml</c> of the test domain).</summary>
public sealed class DomainXmlTests
{
    private const string Live = """
        <domain type='qemu' id='3'>
          <name>web1</name>
          <uuid>ef23017d-f9d6-4d83-9e81-7de076cf401f</uuid>
          <maxMemory slots='8' unit='KiB'>4194304</maxMemory>
          <memory unit='KiB'>1572864</memory>
          <currentMemory unit='KiB'>1572864</currentMemory>
          <cpu mode='maximum' check='none'>
            <numa>
              <cell id='0' cpus='0' memory='1048576' unit='KiB'/>
            </numa>
          </cpu>
          <devices>
            <channel type='unix'>
              <source mode='bind' path='/run/vm/web1/qemu-ga.sock'/>
              <target type='virtio' name='org.qemu.guest_agent.0' state='connected'/>
            </channel>
            <channel type='unix'>
              <source mode='bind' path='/run/vm/web1/agent.sock'/>
              <target type='virtio' name='org.guestagent.memory.0' state='disconnected'/>
              <alias name='channel1'/>
            </channel>
            <memory model='dimm'>
              <target>
                <size unit='KiB'>262144</size>
                <node>0</node>
              </target>
              <alias name='ua-ga-dimm0'/>
              <address type='dimm' slot='0' base='0x100000000'/>
            </memory>
            <memory model='dimm'>
              <target>
                <size unit='MiB'>256</size>
                <node>1</node>
              </target>
              <alias name='dimm1'/>
              <address type='dimm' slot='1' base='0x110000000'/>
            </memory>
          </devices>
        </domain>
        """;

    [Fact]
    public void BootMemoryLimitsDimmsAndTheAgentsChannelAreRead()
    {
        var xml = DomainXml.Parse(Live, "org.guestagent.memory.0");

        Assert.Equal("web1", xml.Name);
        Assert.Equal("ef23017d-f9d6-4d83-9e81-7de076cf401f", xml.Uuid);
        Assert.Equal(1L << 30, xml.BootMemory); // the NUMA cells, not <memory> (which counts the DIMMs too)
        Assert.Equal(8, xml.Slots);
        Assert.Equal(4L << 30, xml.MaxMemory);
        Assert.Equal(
            [new DomainDimm { Alias = "ua-ga-dimm0", Size = 256L << 20, Node = 0, Slot = 0, Base = 0x100000000 }, new DomainDimm { Alias = "dimm1", Size = 256L << 20, Node = 1, Slot = 1, Base = 0x110000000 }],
            xml.Dimms);
        Assert.Equal("/run/vm/web1/agent.sock", xml.AgentChannelPath); // not qemu-ga's
        Assert.Equal("disconnected", xml.AgentChannelState);
    }

    [Fact]
    public void WithoutNumaCellsBootMemoryIsMemoryLessTheDimmsAndANewDimmHasNoPlaceYet()
    {
        var xml = DomainXml.Parse("""
            <domain type='kvm'><name>db</name><memory unit='GiB'>2</memory>
              <devices><memory model='dimm'><target><size unit='MiB'>512</size><node>0</node></target></memory></devices></domain>
            """, "org.guestagent.memory.0");

        Assert.Equal(1536L << 20, xml.BootMemory);
        Assert.Null(xml.Slots);
        Assert.Null(xml.AgentChannelPath);
        var dimm = Assert.Single(xml.Dimms);
        Assert.Null(dimm.Slot);
        Assert.Null(dimm.Base);
        Assert.Null(dimm.Alias);
    }

    [Theory]
    [InlineData("1024", null, 1L << 20)]
    [InlineData("1", "GiB", 1L << 30)]
    [InlineData("1", "G", 1L << 30)]
    [InlineData("1", "GB", 1_000_000_000L)]
    [InlineData("512", "b", 512L)]
    [InlineData("2", "TiB", 2L << 40)]
    public void LibvirtsUnitsAreItsOwn(string value, string? unit, long bytes) => Assert.Equal(bytes, DomainXml.Bytes(value, unit));

    [Theory]
    [InlineData("<domain><name>x</name><memory unit='parsec'>1</memory></domain>", "unknown size unit 'parsec'")]
    [InlineData("<domain><name>x</name><memory>lots</memory></domain>", "a size that is not a number: 'lots'")]
    [InlineData("<domain><name>x</name", "libvirt's domain XML cannot be read")]
    public void BadXmlIsSaidPlainly(string xml, string message)
    {
        var e = Assert.Throws<LibvirtException>(() => DomainXml.Parse(xml, "org.guestagent.memory.0"));

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheDimmToAttachCarriesSizeInKibNodeAndAUserAlias()
    {
        Assert.Equal(
            "<memory model=\"dimm\"><target><size unit=\"KiB\">262144</size><node>1</node></target><alias name=\"ua-ga-dimm3\" /></memory>",
            DimmDeviceXml.Build("ua-ga-dimm3", 256L << 20, 1));
        Assert.Throws<ArgumentException>(() => DimmDeviceXml.Build("ga-dimm3", 256L << 20, 0));
    }

    private const string VirtioMemXml =
        "<memory model='virtio-mem'><target><size unit='KiB'>1048576</size><node>0</node><block unit='KiB'>2048</block>"
        + "<requested unit='KiB'>262144</requested><current unit='KiB'>131072</current><address base='0x100000000'/></target>"
        + "<alias name='ua-vmem0'/><address type='pci' domain='0x0000' bus='0x00' slot='0x08' function='0x0'/></memory>";

    [Fact]
    public void AVirtioMemDeviceIsReadWithItsRequestedAndCurrentSizes()
    {
        var xml = DomainXml.Parse($"<domain><name>vm</name><memory unit='GiB'>2</memory><devices>{VirtioMemXml}</devices></domain>", "org.guestagent.memory.0");

        var device = Assert.Single(xml.VirtioMem);
        Assert.Empty(xml.Dimms);
        Assert.Equal(("ua-vmem0", 1L << 30, 2L << 20, 256L << 20, (long?)(128L << 20), (long?)0x100000000), (device.Alias, device.Size, device.Block, device.Requested, device.Current, device.Base));
    }

    [Fact]
    public void ANewRequestedSizeIsTheLiveDeviceWithItsRequestedReplacedAndNoCurrent()
    {
        var updated = XElement.Parse(VirtioMemDeviceXml.WithRequested(VirtioMemXml, 512L << 20));

        var target = updated.Element("target")!;
        Assert.Equal("524288", target.Element("requested")!.Value);
        Assert.Equal("KiB", (string?)target.Element("requested")!.Attribute("unit"));
        Assert.Null(target.Element("current"));
        Assert.Equal("ua-vmem0", (string?)updated.Element("alias")!.Attribute("name"));
        Assert.Equal("1048576", target.Element("size")!.Value);
    }
}
