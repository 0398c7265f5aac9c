namespace GuestAgent.Memory.Uevents;

/// <summary>A kernel uevent (<c>ACTION@DEVPATH</c> plus <c>KEY=VALUE</c> pairs), or the mark that some were lost.</summary>
public sealed record Uevent(string Action, string DevPath, IReadOnlyDictionary<string, string> Properties)
{
    /// <summary>The kernel dropped events (the receive buffer overflowed, ENOBUFS): only a full rescan is safe.</summary>
    public static Uevent Overflow { get; } = new("overflow", "", new Dictionary<string, string>());

    public bool IsOverflow => ReferenceEquals(this, Overflow);

    public string? Subsystem => Properties.TryGetValue("SUBSYSTEM", out var value) ? value : null;

    /// <summary>True for <c>SUBSYSTEM=memory</c> events of a <c>memoryN</c> block.</summary>
    public bool IsMemoryBlock(out int blockId)
    {
        blockId = -1;
        return Subsystem == "memory" && Sysfs.MemoryBlockName.TryParse(DevPath, out blockId);
    }
}
