using GuestAgent.Host.State;
using GuestAgent.TestSupport;

namespace GuestAgent.Host.Tests.State;

public sealed class StateStoreTests
{
    [Fact]
    public void RoundTripsEveryField()
    {
        using var dir = new TemporaryDirectory();
        var store = new StateStore(Path.Combine(dir.Path, "vm.dimms.json"));
        var state = new ControllerState { RequestedMemory = 1408L << 20, GuestBlockSize = 128L << 20 };
        var record = new DimmRecord { Id = "ga-dimm0", Backend = "ga-mem0", Size = 256L << 20, Slot = 0, Addr = 4L << 30, Node = 0, Created = DateTimeOffset.UnixEpoch };
        record.Begin(DimmOperation.Deleting, DateTimeOffset.UnixEpoch);
        record.GuestPrepared = true;
        state.Dimms.Add(record);

        store.Save(state);
        var loaded = store.Load();

        Assert.Equal(1408L << 20, loaded.RequestedMemory);
        var dimm = Assert.Single(loaded.Dimms);
        Assert.Equal((DimmOperation.Deleting, true, 0, 4L << 30), (dimm.Operation, dimm.GuestPrepared, dimm.Slot, dimm.Addr));
        Assert.Contains("\"operation\": \"Deleting\"", File.ReadAllText(store.Path), StringComparison.Ordinal);
        Assert.False(File.Exists(store.Path + ".new"));
    }

    [Fact]
    public void AMissingFileIsAnEmptyStateAndADamagedOneIsLeftAlone()
    {
        using var dir = new TemporaryDirectory();
        var store = new StateStore(Path.Combine(dir.Path, "vm.dimms.json"));
        Assert.Empty(store.Load().Dimms);

        File.WriteAllText(store.Path, "{\"dimms\": [tr");
        var e = Assert.Throws<InvalidDataException>(store.Load);

        Assert.Contains("damaged", e.Message, StringComparison.Ordinal);
        Assert.Equal("{\"dimms\": [tr", File.ReadAllText(store.Path));
    }

    [Fact]
    public void OneControllerAtATimeAndTheSecondIsToldWhoHoldsIt()
    {
        using var dir = new TemporaryDirectory();
        var path = Path.Combine(dir.Path, "locks", "uuid-1.lock");
        using (StateLock.Acquire(path, "UUID 1", Holder("unplug ga-dimm0")))
        {
            var e = Assert.Throws<IOException>(() => StateLock.Acquire(path, "UUID 1", Holder("plug 256 MiB")));
            Assert.Contains($"another guest-agent-host is acting on this VM (UUID 1): guest-agent-host pid {Environment.ProcessId} (unplug ga-dimm0, since ", e.Message, StringComparison.Ordinal);
            Assert.Null(StateLock.TryAcquire(path, Holder("status")));
            Assert.Equal("unplug ga-dimm0", LockHolders.Read(StateLock.HolderPath(path))?.Command);
        }

        Assert.False(File.Exists(StateLock.HolderPath(path)));
        using var again = StateLock.Acquire(path, "UUID 1", Holder("status"));
    }

    [Fact]
    public void AHolderFileAKilledControllerLeftNamesNobody()
    {
        using var dir = new TemporaryDirectory();
        var path = Path.Combine(dir.Path, "uuid-1.lock");
        using (StateLock.Acquire(path, "UUID 1", Holder("unplug ga-dimm0")))
        {
            File.Copy(StateLock.HolderPath(path), path + ".left");
        }

        File.Move(path + ".left", StateLock.HolderPath(path)); // as kill -9 leaves it: the lock is free again

        Assert.Null(LockHolders.Read(StateLock.HolderPath(path)));
        Assert.Empty(LockHolders.Find(dir.Path, _ => true));
        using var taken = StateLock.Acquire(path, "UUID 1", Holder("plug 128 MiB"));
    }

    [Theory]
    [InlineData("/proc/no-such-folder/locks", "cannot make the lock folder /proc/no-such-folder/locks: ")]
    public void ALockFolderThatCannotBeMadeIsSaidInPlainWords(string folder, string message)
    {
        var e = Assert.Throws<IOException>(() => StateLock.Acquire(Path.Combine(folder, "uuid-1.lock"), "UUID 1", Holder("status")));

        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
        Assert.EndsWith("(--lock-dir names another)", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Could not", e.Message, StringComparison.Ordinal);
    }

    private static LockHolder Holder(string command) => new()
    {
        Pid = Environment.ProcessId, Command = command, Since = DateTimeOffset.Now, Vm = "uuid-1", StateFile = "/tmp/vm.json",
    };
}
