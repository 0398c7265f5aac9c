using GuestAgent.Memory.Proc;

namespace GuestAgent.Memory.Capacity;

/// <summary>Reads the kernel's memory accounting under a <see cref="ProcRoot"/>. Never throws: what it cannot read is a problem in the sample.</summary>
public sealed class CapacityReader(ProcRoot root)
{
    public ProcRoot Root { get; } = root;

    public CapacitySample Read()
    {
        if (TryRead(Root.Meminfo, out var meminfoText) is { } meminfoProblem)
        {
            return CapacitySample.Unknown(meminfoProblem);
        }

        var meminfo = MeminfoParser.Parse(meminfoText);
        if (meminfo.AvailableBytes is null)
        {
            return CapacitySample.Unknown($"{Root.Meminfo} has no MemAvailable (a kernel older than 3.14?)");
        }

        var zones = TryRead(Root.Zoneinfo, out var zoneinfoText) is null ? ZoneinfoParser.Parse(zoneinfoText) : [];
        return new CapacitySample { Meminfo = meminfo, Zones = zones, PageSize = Environment.SystemPageSize };
    }

    /// <summary><c>MemAvailable</c> alone, in bytes (one small read, for watching an offline); null when unreadable.</summary>
    public long? ReadAvailableBytes() =>
        TryRead(Root.Meminfo, out var text) is null ? MeminfoParser.Parse(text).AvailableBytes : null;

    /// <summary>PSI for memory; null where the kernel has none (no <c>CONFIG_PSI</c>, or <c>psi=0</c>).</summary>
    public MemoryPressure? ReadPressure() =>
        TryRead(Root.MemoryPressure, out var text) is null ? PressureParser.Parse(text) : null;

    private static string? TryRead(string path, out string text)
    {
        try
        {
            text = File.ReadAllText(path);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            text = "";
            return $"cannot read {path}: {e.Message}";
        }
    }
}
