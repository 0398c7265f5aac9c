namespace GuestAgent.Protocol.Model;

/// <summary>One DIMM (or boot memory range) with its readiness for unplug.</summary>
public sealed record DimmReport
{
    /// <summary><c>slotN</c>, <c>boot@0x…</c> or <c>range@0x…</c>.</summary>
    public required string Id { get; init; }

    /// <summary><c>acpi</c>, <c>boot</c> or <c>range</c>.</summary>
    public required string Kind { get; init; }

    public int? Slot { get; init; }

    public string? AcpiDevice { get; init; }

    /// <summary>Guest physical start address in bytes.</summary>
    public required long Start { get; init; }

    public required long Size { get; init; }

    public int? Node { get; init; }

    /// <summary>Block names (<c>memoryN</c>), ascending by address.</summary>
    public required IReadOnlyList<string> Blocks { get; init; }

    /// <summary><c>online</c>, <c>offline</c>, <c>going-offline</c>, <c>mixed</c> or <c>unknown</c>.</summary>
    public required string State { get; init; }

    /// <summary>Zones of its online blocks, distinct, in block order.</summary>
    public required IReadOnlyList<string> Zones { get; init; }

    public bool? PresentAtBoot { get; init; }

    public required bool Removable { get; init; }

    /// <summary><c>ready</c>, <c>not-ready</c>, <c>busy</c> or <c>boot-memory</c>.</summary>
    public required string Readiness { get; init; }

    public required string Reason { get; init; }
}
