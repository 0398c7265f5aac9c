using System.Globalization;
using System.Xml.Linq;

namespace GuestAgent.Host.Libvirt;

/// <summary>Pure: the device XML that attaches one DIMM: <c>&lt;memory model='dimm'&gt;</c> with its size in KiB, NUMA node and user alias.</summary>
public static class DimmDeviceXml
{
    /// <summary>libvirt requires user aliases to start with this.</summary>
    public const string UserAliasPrefix = "ua-";

    public static string Build(string alias, long size, int node)
    {
        if (!alias.StartsWith(UserAliasPrefix, StringComparison.Ordinal))
        {
            throw new ArgumentException($"a libvirt user alias starts with '{UserAliasPrefix}': {alias}", nameof(alias));
        }

        return new XElement("memory",
            new XAttribute("model", "dimm"),
            new XElement("target",
                new XElement("size", new XAttribute("unit", "KiB"), (size / 1024).ToString(CultureInfo.InvariantCulture)),
                new XElement("node", node.ToString(CultureInfo.InvariantCulture))),
            new XElement("alias", new XAttribute("name", alias))).ToString(SaveOptions.DisableFormatting);
    }
}
