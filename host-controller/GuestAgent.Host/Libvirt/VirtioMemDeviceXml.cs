using System.Globalization;
using System.Xml.Linq;

namespace GuestAgent.Host.Libvirt;

/// <summary>
/// Pure: the device XML that asks libvirt for a new requested size of a virtio-mem device: the device as the live XML
/// has it, <c>target/requested</c> set in KiB and the live-only <c>current</c> left out (what
/// <c>virsh update-memory-device --requested-size</c> sends to <c>virDomainUpdateDeviceFlags</c>).
/// </summary>
public static class VirtioMemDeviceXml
{
    public static string WithRequested(string deviceXml, long bytes)
    {
        var memory = XElement.Parse(deviceXml);
        var target = memory.Element("target") ?? throw new LibvirtException("libvirt's virtio-mem device has no <target>");
        target.Element("current")?.Remove();
        var requested = new XElement("requested", new XAttribute("unit", "KiB"), (bytes / 1024).ToString(CultureInfo.InvariantCulture));
        if (target.Element("requested") is { } existing)
        {
            existing.ReplaceWith(requested);
        }
        else
        {
            target.Add(requested);
        }

        return memory.ToString(SaveOptions.DisableFormatting);
    }
}
