using System.Globalization;
using System.Xml.Linq;

namespace GuestAgent.Host.Libvirt;

/// <summary>
/// Pure: what the controller needs from a libvirt domain XML (<c>virsh dumpxml</c>): boot memory (the NUMA cells, else
/// <c>&lt;memory&gt;</c> less the DIMMs), <c>&lt;maxMemory slots&gt;</c>, the DIMMs (<c>&lt;memory model='dimm'&gt;</c>:
/// alias, slot and base address once live, size, node), and the agent's channel (the <c>&lt;channel type='unix'&gt;</c>
/// whose virtio target names the agent's port: its socket path and whether the guest has it open).
/// </summary>
public sealed record DomainXml
{
    public required string Name { get; init; }

    public string? Uuid { get; init; }

    public required long BootMemory { get; init; }

    public int? Slots { get; init; }

    public long? MaxMemory { get; init; }

    public required IReadOnlyList<DomainDimm> Dimms { get; init; }

    /// <summary>Its virtio-mem devices.</summary>
    public IReadOnlyList<DomainVirtioMem> VirtioMem { get; init; } = [];

    /// <summary>The agent channel's socket on the host, when the domain has one for the port.</summary>
    public string? AgentChannelPath { get; init; }

    /// <summary>The channel's <c>state</c> in the live XML: <c>connected</c> while the guest has the port open.</summary>
    public string? AgentChannelState { get; init; }

    public static DomainXml Parse(string xml, string agentPortName)
    {
        XDocument document;
        try
        {
            document = XDocument.Parse(xml);
        }
        catch (System.Xml.XmlException e)
        {
            throw new LibvirtException($"libvirt's domain XML cannot be read: {e.Message}", e);
        }

        var domain = document.Root ?? throw new LibvirtException("libvirt's domain XML is empty");
        var devices = domain.Element("devices");
        var dimms = (devices?.Elements("memory") ?? []).Where(m => (string?)m.Attribute("model") == "dimm").Select(ParseDimm).ToList();
        var virtioMem = (devices?.Elements("memory") ?? []).Where(m => (string?)m.Attribute("model") == "virtio-mem").Select(ParseVirtioMem).ToList();
        var cells = domain.Element("cpu")?.Element("numa")?.Elements("cell").ToList() ?? [];
        var total = Size(domain.Element("memory"));
        var boot = cells.Count > 0
            ? cells.Sum(c => Bytes((string?)c.Attribute("memory"), (string?)c.Attribute("unit")))
            : (total ?? 0) - dimms.Sum(d => d.Size);
        var maxMemory = domain.Element("maxMemory");
        var channel = (devices?.Elements("channel") ?? []).FirstOrDefault(c =>
            (string?)c.Attribute("type") == "unix" && c.Element("target") is { } t && (string?)t.Attribute("type") == "virtio" && (string?)t.Attribute("name") == agentPortName);
        return new DomainXml
        {
            Name = (string?)domain.Element("name") ?? "",
            Uuid = (string?)domain.Element("uuid"),
            BootMemory = boot,
            Slots = int.TryParse((string?)maxMemory?.Attribute("slots"), NumberStyles.None, CultureInfo.InvariantCulture, out var slots) ? slots : null,
            MaxMemory = Size(maxMemory),
            Dimms = dimms,
            VirtioMem = virtioMem,
            AgentChannelPath = (string?)channel?.Element("source")?.Attribute("path"),
            AgentChannelState = (string?)channel?.Element("target")?.Attribute("state"),
        };
    }

    private static DomainDimm ParseDimm(XElement memory)
    {
        var target = memory.Element("target");
        var address = memory.Element("address");
        return new DomainDimm
        {
            Alias = (string?)memory.Element("alias")?.Attribute("name"),
            Size = Size(target?.Element("size")) ?? 0,
            Node = int.TryParse((string?)target?.Element("node"), NumberStyles.None, CultureInfo.InvariantCulture, out var node) ? node : 0,
            Slot = int.TryParse((string?)address?.Attribute("slot"), NumberStyles.None, CultureInfo.InvariantCulture, out var slot) ? slot : null,
            Base = Address((string?)address?.Attribute("base")),
        };
    }

    private static DomainVirtioMem ParseVirtioMem(XElement memory)
    {
        var target = memory.Element("target");
        return new DomainVirtioMem
        {
            Alias = (string?)memory.Element("alias")?.Attribute("name"),
            Size = Size(target?.Element("size")) ?? 0,
            Node = int.TryParse((string?)target?.Element("node"), NumberStyles.None, CultureInfo.InvariantCulture, out var node) ? node : 0,
            Block = Size(target?.Element("block")) ?? 0,
            Requested = Size(target?.Element("requested")) ?? 0,
            Current = Size(target?.Element("current")),
            Base = Address((string?)target?.Element("address")?.Attribute("base")),
            Xml = memory.ToString(SaveOptions.DisableFormatting),
        };
    }

    private static long? Size(XElement? element) => element is null ? null : Bytes(element.Value, (string?)element.Attribute("unit"));

    /// <summary>libvirt's scaled integers: the unit defaults to KiB; b/bytes, KB/MB/GB/TB (powers of 1000), k/KiB … T/TiB (powers of 1024).</summary>
    public static long Bytes(string? value, string? unit)
    {
        if (!long.TryParse(value?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            throw new LibvirtException($"libvirt's domain XML has a size that is not a number: '{value}'");
        }

        var factor = (unit ?? "KiB") switch
        {
            "b" or "bytes" => 1L,
            "KB" => 1000L,
            "k" or "K" or "KiB" => 1L << 10,
            "MB" => 1000L * 1000,
            "M" or "MiB" => 1L << 20,
            "GB" => 1000L * 1000 * 1000,
            "G" or "GiB" => 1L << 30,
            "TB" => 1000L * 1000 * 1000 * 1000,
            "T" or "TiB" => 1L << 40,
            var other => throw new LibvirtException($"libvirt's domain XML has an unknown size unit '{other}'"),
        };
        return checked(number * factor);
    }

    private static long? Address(string? text) =>
        text is not null && text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
        && long.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var address)
            ? address
            : null;
}
