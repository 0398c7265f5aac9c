using System.Globalization;
using Microsoft.Extensions.Logging;

namespace GuestAgent.Memory.Agent;

/// <summary>
/// Which DIMM slots were present when the agent first looked after this boot, kept in a file under the runtime
/// directory (a tmpfs emptied at boot), so a restarted agent still tells boot-time DIMMs from hot-plugged ones.
/// </summary>
public sealed class BootInventory(string runtimeDirectory, ILogger logger)
{
    public const string FileName = "boot-dimms";

    public string FilePath { get; } = Path.Combine(runtimeDirectory, FileName);

    /// <summary>The recorded slots, or null when there is no record.</summary>
    public IReadOnlySet<int>? Load()
    {
        try
        {
            var slots = new HashSet<int>();
            foreach (var line in File.ReadAllLines(FilePath))
            {
                if (int.TryParse(line.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var slot))
                {
                    slots.Add(slot);
                }
            }

            return slots;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Returns the record, writing <paramref name="presentNow"/> as the record first if there is none.</summary>
    public IReadOnlySet<int> LoadOrRecord(IEnumerable<int> presentNow)
    {
        if (Load() is { } existing)
        {
            return existing;
        }

        var slots = presentNow.ToHashSet();
        try
        {
            RuntimeFile.WriteWhole(FilePath, string.Concat(slots.Order().Select(s => s.ToString(CultureInfo.InvariantCulture) + "\n")));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Cannot record the DIMMs present at boot in {Path}: {Reason}", FilePath, e.Message);
        }

        return slots;
    }
}
