namespace GuestAgent.Protocol.Model;

/// <summary>Counts over every memory block.</summary>
public sealed record BlockSummary
{
    public required int Total { get; init; }

    public required int Online { get; init; }

    public required int Offline { get; init; }

    public int GoingOffline { get; init; }

    /// <summary>Blocks whose state could not be read or was not recognised.</summary>
    public int Unknown { get; init; }

    public required long MovableBytes { get; init; }

    /// <summary>Online bytes in kernel zones (DMA, DMA32, Normal, or spanning zones).</summary>
    public required long KernelBytes { get; init; }

    public required long OfflineBytes { get; init; }

    /// <summary>Online blocks per zone name as <c>valid_zones</c> prints it.</summary>
    public IReadOnlyDictionary<string, int> Zones { get; init; } = new Dictionary<string, int>();
}
