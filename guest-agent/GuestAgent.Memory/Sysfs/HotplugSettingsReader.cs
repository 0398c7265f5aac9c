using System.Collections.Concurrent;
using GuestAgent.Memory.Model;

namespace GuestAgent.Memory.Sysfs;

/// <summary>The kernel's memory hot-plug settings under a <see cref="SysfsRoot"/>: block size, <c>auto_online_blocks</c>, <c>memory_hotplug</c>'s module parameters, ACPI memory hot-plug.</summary>
public static class HotplugSettingsReader
{
    public static HotplugSettings Read(SysfsRoot root, ConcurrentQueue<ReadProblem> problems)
    {
        var memoryDir = root.MemoryDirectory;
        var parameters = new SortedDictionary<string, string>(StringComparer.Ordinal);
        try
        {
            if (Directory.Exists(root.HotplugParametersDirectory))
            {
                foreach (var file in Directory.EnumerateFiles(root.HotplugParametersDirectory))
                {
                    if (LibcFile.TryReadText(file, out _) is { } value)
                    {
                        parameters[Path.GetFileName(file)] = value;
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problems.Enqueue(new ReadProblem("memory_hotplug", $"cannot list module parameters: {e.Message}"));
        }

        var acpiEnabled = LibcFile.TryReadText(Path.Combine(root.Path, "firmware", "acpi", "hotplug", "memory", "enabled"), out _);
        return new HotplugSettings
        {
            BlockSizeBytes = SysfsValueParser.ParseHex(LibcFile.TryReadText(Path.Combine(memoryDir, "block_size_bytes"), out _)),
            AutoOnlineBlocks = LibcFile.TryReadText(Path.Combine(memoryDir, "auto_online_blocks"), out _),
            Parameters = parameters,
            AcpiMemoryHotplugEnabled = SysfsValueParser.ParseBool(acpiEnabled),
        };
    }
}
