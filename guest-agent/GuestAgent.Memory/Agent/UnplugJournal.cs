using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace GuestAgent.Memory.Agent;

/// <summary>
/// The DIMMs the agent is offlining or holds offline, one small file each under the runtime directory, written before
/// the first block is offlined and removed when the DIMM is online again or gone. An agent that dies meanwhile (the
/// OOM killer, a crash, SIGKILL) leaves the file behind, and the next one onlines those blocks again and says so: a
/// plugged DIMM is never left offline with no one to bring it back. Lines: <c>dimm ID</c>, <c>prepared 0|1</c>,
/// <c>purpose unplug|make-movable</c> (absent in an older agent's records: unplug),
/// <c>started UNIX-SECONDS</c>, <c>block N ZONE</c>.
/// </summary>
public sealed class UnplugJournal(string runtimeDirectory, ILogger logger)
{
    public const string DirectoryName = "unplugs";

    public string DirectoryPath { get; } = Path.Combine(runtimeDirectory, DirectoryName);

    public void Write(UnplugJournalEntry entry)
    {
        var text = new StringBuilder();
        text.Append("dimm ").Append(entry.Dimm).Append('\n');
        text.Append("prepared ").Append(entry.Prepared ? '1' : '0').Append('\n');
        text.Append("purpose ").Append(entry.Purpose).Append('\n');
        text.Append("started ").Append(entry.Started.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (var (block, zone) in entry.Zones.OrderBy(z => z.Key))
        {
            text.Append("block ").Append(block.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(zone).Append('\n');
        }

        try
        {
            RuntimeFile.WriteWhole(PathOf(entry.Dimm), text.ToString());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Cannot record the unplug of {Dimm} in {Path} ({Reason}); if the agent dies during it, the next one onlines offline blocks by policy only", entry.Dimm, DirectoryPath, e.Message);
        }
    }

    /// <summary>Whether any entry is there (cheap: one directory look, for every reconcile).</summary>
    public bool HasEntries => Directory.Exists(DirectoryPath) && Directory.EnumerateFiles(DirectoryPath).Any(f => !f.EndsWith(RuntimeFile.TemporarySuffix, StringComparison.Ordinal));

    public void Remove(string dimm)
    {
        try
        {
            File.Delete(PathOf(dimm));
        }
        catch (DirectoryNotFoundException)
        {
            // Nothing was ever journaled: nothing to remove.
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Cannot remove {Path}: {Reason}", PathOf(dimm), e.Message);
        }
    }

    /// <summary>Every entry left; unreadable files are skipped (and logged).</summary>
    public IReadOnlyList<UnplugJournalEntry> Load()
    {
        var entries = new List<UnplugJournalEntry>();
        if (!Directory.Exists(DirectoryPath))
        {
            return entries;
        }

        foreach (var file in Directory.EnumerateFiles(DirectoryPath).Where(f => !f.EndsWith(RuntimeFile.TemporarySuffix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            try
            {
                if (Parse(File.ReadAllLines(file)) is { } entry)
                {
                    entries.Add(entry);
                }
                else
                {
                    logger.LogWarning("Ignoring {File}: not an unplug record", file);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                logger.LogWarning("Cannot read {File}: {Reason}", file, e.Message);
            }
        }

        return entries;
    }

    internal static UnplugJournalEntry? Parse(IEnumerable<string> lines)
    {
        string? dimm = null;
        var prepared = false;
        var started = DateTimeOffset.UnixEpoch;
        var zones = new Dictionary<int, string>();
        var purpose = UnplugJournalEntry.ForUnplug;
        foreach (var line in lines)
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            switch (parts)
            {
                case ["dimm", var id]:
                    dimm = id;
                    break;
                case ["prepared", var flag]:
                    prepared = flag == "1";
                    break;
                case ["purpose", UnplugJournalEntry.ForMakeMovable]:
                    purpose = UnplugJournalEntry.ForMakeMovable;
                    break;
                case ["started", var seconds] when long.TryParse(seconds, NumberStyles.None, CultureInfo.InvariantCulture, out var s):
                    started = DateTimeOffset.FromUnixTimeSeconds(s);
                    break;
                case ["block", var block, var zone] when int.TryParse(block, NumberStyles.None, CultureInfo.InvariantCulture, out var b):
                    zones[b] = zone;
                    break;
            }
        }

        return dimm is null ? null : new UnplugJournalEntry(dimm, prepared, started, zones) { Purpose = purpose };
    }

    /// <summary>DIMM ids are <c>slotN</c> or <c>range@0x…+0x…</c>: safe as file names once a slash could not sneak in.</summary>
    private string PathOf(string dimm) => Path.Combine(DirectoryPath, dimm.Replace('/', '_'));
}
