using System.Text.Json.Nodes;

namespace GuestAgent.Host.Qmp;

/// <summary>
/// One entry of <c>query-memory-devices</c> (pc-dimm / nvdimm: <c>{type, data: {id, memdev, addr, size, slot, node,
/// hotplugged, hotpluggable}}</c>; virtio-mem: <c>{type: "virtio-mem", data: {id, memaddr, size, requested-size,
/// max-size, block-size, node, memdev}}</c>).
/// </summary>
public sealed record QmpMemoryDevice
{
    public required string Type { get; init; }

    public string? Id { get; init; }

    /// <summary>The backend's QOM path, <c>/objects/ID</c>.</summary>
    public string? Memdev { get; init; }

    public long Addr { get; init; }

    public long Size { get; init; }

    public int? Slot { get; init; }

    /// <summary>virtio-mem: what the guest was asked to plug.</summary>
    public long RequestedSize { get; init; }

    /// <summary>virtio-mem: its region's size.</summary>
    public long MaxSize { get; init; }

    /// <summary>virtio-mem: the unit it is resized in.</summary>
    public long BlockSize { get; init; }

    public int Node { get; init; }

    public bool Hotplugged { get; init; }

    public bool Hotpluggable { get; init; }

    /// <summary>Takes a DIMM slot (pc-dimm and nvdimm do; virtio-mem and others do not).</summary>
    public bool UsesSlot => Type is "dimm" or "nvdimm";

    /// <summary>The backend object's id: the last part of <see cref="Memdev"/>.</summary>
    public string? BackendId => Memdev is null ? null : Memdev[(Memdev.LastIndexOf('/') + 1)..];

    public static QmpMemoryDevice From(JsonObject entry)
    {
        var data = entry["data"] as JsonObject ?? [];
        return new QmpMemoryDevice
        {
            Type = entry["type"]?.GetValue<string>() ?? "",
            Id = data["id"]?.GetValue<string>(),
            Memdev = data["memdev"]?.GetValue<string>(),
            Addr = data["addr"]?.GetValue<long>() ?? data["memaddr"]?.GetValue<long>() ?? 0,
            RequestedSize = data["requested-size"]?.GetValue<long>() ?? 0,
            MaxSize = data["max-size"]?.GetValue<long>() ?? 0,
            BlockSize = data["block-size"]?.GetValue<long>() ?? 0,
            Size = data["size"]?.GetValue<long>() ?? 0,
            Slot = data["slot"]?.GetValue<int>(),
            Node = data["node"]?.GetValue<int>() ?? 0,
            Hotplugged = data["hotplugged"]?.GetValue<bool>() ?? false,
            Hotpluggable = data["hotpluggable"]?.GetValue<bool>() ?? false,
        };
    }
}
