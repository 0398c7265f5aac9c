namespace GuestAgent.Memory.Model;

/// <summary>System-wide memory hotplug settings: the block size, <c>auto_online_blocks</c> and module parameters.</summary>
public sealed record HotplugSettings
{
    /// <summary><c>block_size_bytes</c>; null if it could not be read (the model is then empty).</summary>
    public long? BlockSizeBytes { get; init; }

    /// <summary><c>auto_online_blocks</c> (<c>offline</c>, <c>online</c>, <c>online_kernel</c>, <c>online_movable</c>), null where missing.</summary>
    public string? AutoOnlineBlocks { get; init; }

    /// <summary><c>/sys/module/memory_hotplug/parameters/*</c> by name, raw text; empty where the module has none.</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();

    /// <summary>Whether ACPI memory hotplug is switched on (<c>/sys/firmware/acpi/hotplug/memory/enabled</c>); null if unknown.</summary>
    public bool? AcpiMemoryHotplugEnabled { get; init; }
}
