using System.Text.Json.Nodes;

namespace GuestAgent.Host.Tests.Support;

/// <summary>A virtio-mem device of a <see cref="SimulatedQemu"/>: its region and sizes as <c>query-memory-devices</c> lists them.</summary>
public sealed class SimulatedVirtioMem
{
    public string Id { get; init; } = "vm0";

    /// <summary>Where its region starts (QEMU puts it at 4 GiB when it is the first memory device).</summary>
    public long Addr { get; init; } = 4L << 30;

    public long MaxSize { get; init; } = 1L << 30;

    public long BlockSize { get; init; } = 2L << 20;

    public long Size { get; set; }

    public long RequestedSize { get; set; }

    public JsonNode Listed() => new JsonObject
    {
        ["type"] = "virtio-mem",
        ["data"] = new JsonObject
        {
            ["id"] = Id, ["memaddr"] = Addr, ["size"] = Size, ["requested-size"] = RequestedSize, ["max-size"] = MaxSize,
            ["block-size"] = BlockSize, ["node"] = 0, ["memdev"] = "/objects/vmem0",
        },
    };
}
