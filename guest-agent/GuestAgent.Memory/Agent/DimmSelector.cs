using System.Globalization;

namespace GuestAgent.Memory.Agent;

/// <summary>Names a DIMM for an operation: by slot, by id (<c>slot3</c>, <c>range@0x…</c>), or by an address range.</summary>
public sealed record DimmSelector
{
    public int? Slot { get; private init; }

    public string? Id { get; private init; }

    public long? Start { get; private init; }

    public long? Size { get; private init; }

    public static DimmSelector ForSlot(int slot) => new() { Slot = slot };

    public static DimmSelector ForId(string id) => new() { Id = id };

    public static DimmSelector ForRange(long start, long size) => new() { Start = start, Size = size };

    public override string ToString() => Slot is { } slot
        ? "slot " + slot.ToString(CultureInfo.InvariantCulture)
        : Id ?? $"range 0x{Start:x}+0x{Size:x}";
}
