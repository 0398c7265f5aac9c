namespace GuestAgent.Memory.Proc;

/// <summary>
/// Where procfs is mounted. The kernel's memory accounting (<c>meminfo</c>, <c>zoneinfo</c>, PSI) and the agent's own
/// OOM score are read and written under it, so tests point it at a temporary tree and the agent at <c>/proc</c>. This
/// is the only place the default path appears.
/// </summary>
public sealed record ProcRoot(string Path)
{
    /// <summary>The mount point of procfs on a running Linux system.</summary>
    public const string DefaultPath = "/proc";

    public static ProcRoot Default { get; } = new(DefaultPath);

    public string Meminfo => Combine("meminfo");

    public string Zoneinfo => Combine("zoneinfo");

    /// <summary>Pressure stall information for memory (Linux 4.20+, <c>CONFIG_PSI</c>).</summary>
    public string MemoryPressure => Combine("pressure", "memory");

    /// <summary>The physical memory map: where virtio-mem's memory lies.</summary>
    public string Iomem => Combine("iomem");

    public string OomScoreAdjust(int processId) =>
        Combine(processId.ToString(System.Globalization.CultureInfo.InvariantCulture), "oom_score_adj");

    public string SelfOomScoreAdjust => Combine("self", "oom_score_adj");

    private string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);
}
