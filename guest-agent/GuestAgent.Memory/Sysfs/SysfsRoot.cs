namespace GuestAgent.Memory.Sysfs;

/// <summary>
/// Where sysfs is mounted. Every kernel path the agent touches is derived from here, so tests point it at a temporary
/// tree and the real agent at <c>/sys</c>. This is the only place the default path appears.
/// </summary>
public sealed record SysfsRoot(string Path)
{
    /// <summary>The mount point of sysfs on a running Linux system.</summary>
    public const string DefaultPath = "/sys";

    public static SysfsRoot Default { get; } = new(DefaultPath);

    public string MemoryDirectory => Combine("devices", "system", "memory");

    public string NodeDirectory => Combine("devices", "system", "node");

    public string AcpiDevicesDirectory => Combine("bus", "acpi", "devices");

    public string HotplugParametersDirectory => Combine("module", "memory_hotplug", "parameters");

    public string BlockDirectory(int blockId) => System.IO.Path.Combine(MemoryDirectory, MemoryBlockName.Format(blockId));

    public string BlockAttribute(int blockId, string attribute) => System.IO.Path.Combine(BlockDirectory(blockId), attribute);

    private string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);
}
