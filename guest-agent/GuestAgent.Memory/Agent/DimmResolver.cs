using System.Globalization;
using GuestAgent.Memory.Model;
using GuestAgent.Memory.Readiness;

namespace GuestAgent.Memory.Agent;

/// <summary>
/// Pure: the DIMM a selector names in a snapshot. A slot or id names a DIMM of the model; an address range (given as
/// <c>start</c> + <c>size</c>, or as an id <c>range@0xSTART+0xSIZE</c>) becomes a DIMM of its blocks; boot memory is
/// returned as such (the caller refuses it), whichever way it was named.
/// </summary>
public static class DimmResolver
{
    public static Dimm Resolve(MemorySnapshot snapshot, DimmSelector selector)
    {
        if (selector.Slot is { } slot)
        {
            return snapshot.FindDimmBySlot(slot)
                   ?? throw new MemoryOperationException(MemoryOperationError.NotFound, $"no DIMM in slot {slot}{Known(snapshot)}");
        }

        if (selector.Id is { } id)
        {
            if (snapshot.FindDimmById(id) is { } dimm)
            {
                return dimm;
            }

            if (TryParseRangeId(id, out var start, out var size))
            {
                return size is { } s ? Range(snapshot, start, s) : ContainingBoot(snapshot, start)
                    ?? throw new MemoryOperationException(MemoryOperationError.NotFound, $"no DIMM '{id}'{Known(snapshot)}");
            }

            throw new MemoryOperationException(MemoryOperationError.NotFound, $"no DIMM '{id}'{Known(snapshot)}");
        }

        return Range(snapshot, selector.Start ?? 0, selector.Size ?? 0);
    }

    private static Dimm Range(MemorySnapshot snapshot, long start, long size)
    {
        if (ReadinessEvaluator.RangeProblem(snapshot, start, size) is { } problem)
        {
            throw new MemoryOperationException(MemoryOperationError.BadArgument, problem);
        }

        var blocks = ReadinessEvaluator.BlocksInRange(snapshot, start, size);

        if (blocks.Count == 0)
        {
            throw new MemoryOperationException(MemoryOperationError.NotFound, $"no memory blocks in range 0x{start:x}+0x{size:x}");
        }

        var bootBlocks = snapshot.Dimms.Where(d => d.Kind == DimmKind.Boot).SelectMany(d => d.BlockIds).ToHashSet();
        return new Dimm
        {
            Id = $"range@0x{start:x}+0x{size:x}",
            Kind = blocks.Any(b => bootBlocks.Contains(b.Id)) ? DimmKind.Boot : DimmKind.Range,
            StartAddress = start,
            SizeBytes = size,
            BlockIds = blocks.ConvertAll(b => b.Id),
        };
    }

    /// <summary>A bare address (<c>range@0x0</c>) that lies in boot memory names that boot memory.</summary>
    private static Dimm? ContainingBoot(MemorySnapshot snapshot, long address) =>
        snapshot.Dimms.FirstOrDefault(d => d.Kind == DimmKind.Boot && address >= d.StartAddress && address < d.EndAddress);

    /// <summary><c>range@0x…</c>, <c>boot@0x…</c>, with an optional <c>+0x…</c> size.</summary>
    private static bool TryParseRangeId(string id, out long start, out long? size)
    {
        (start, size) = (0, null);
        var at = id.IndexOf('@', StringComparison.Ordinal);
        if (at < 0 || id[..at] is not ("range" or "boot"))
        {
            return false;
        }

        var parts = id[(at + 1)..].Split('+');
        if (parts.Length > 2 || !TryParseHex(parts[0], out start))
        {
            return false;
        }

        if (parts.Length == 2)
        {
            if (!TryParseHex(parts[1], out var s))
            {
                return false;
            }

            size = s;
        }

        return true;
    }

    private static bool TryParseHex(string text, out long value)
    {
        value = 0;
        return text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
               && long.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value)
               && value >= 0;
    }

    private static string Known(MemorySnapshot snapshot)
    {
        var removable = snapshot.Dimms.Where(d => d.Kind != DimmKind.Boot).Select(d => d.Id).ToList();
        return removable.Count == 0 ? " (the guest has no hot-plugged memory)" : $" (the guest has: {string.Join(", ", removable)})";
    }
}
