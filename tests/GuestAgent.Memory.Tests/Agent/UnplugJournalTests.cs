using GuestAgent.Memory.Agent;
using GuestAgent.TestSupport;

namespace GuestAgent.Memory.Tests.Agent;

public class UnplugJournalTests
{
    [Fact]
    public void EntriesSurviveTheProcessThatWroteThem()
    {
        using var runtime = new TemporaryDirectory();
        var logger = new RecordingLogger();
        var entry = new UnplugJournalEntry("slot1", false, DateTimeOffset.FromUnixTimeSeconds(1_800_000_000), new Dictionary<int, string> { [34] = "Movable", [35] = "Movable" });

        new UnplugJournal(runtime.Path, logger).Write(entry);
        new UnplugJournal(runtime.Path, logger).Write(entry with { Dimm = "range@0x100000000+0x8000000", Prepared = true });
        var loaded = new UnplugJournal(runtime.Path, logger).Load();
        new UnplugJournal(runtime.Path, logger).Remove("slot1");

        Assert.Equal(["range@0x100000000+0x8000000", "slot1"], loaded.Select(e => e.Dimm));
        Assert.True(loaded[0].Prepared);
        Assert.Equal(entry.Started, loaded[1].Started);
        Assert.Equal(entry.Zones, loaded[1].Zones);
        Assert.Single(new UnplugJournal(runtime.Path, logger).Load());
    }

    [Fact]
    public void JunkIsIgnoredAndSaidOnce()
    {
        using var runtime = new TemporaryDirectory();
        var logger = new RecordingLogger();
        Directory.CreateDirectory(Path.Combine(runtime.Path, UnplugJournal.DirectoryName));
        File.WriteAllText(Path.Combine(runtime.Path, UnplugJournal.DirectoryName, "junk"), "\u0001\u0002 not a record\n");

        Assert.Empty(new UnplugJournal(runtime.Path, logger).Load());
        Assert.Contains(logger.Warnings, w => w.Contains("not an unplug record", StringComparison.Ordinal));
    }
}
