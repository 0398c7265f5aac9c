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
    public void OneControllerAtATime()
    {
        using var dir = new TemporaryDirectory();
        var path = Path.Combine(dir.Path, "locks", "uuid-1.lock");
        using (StateLock.Acquire(path, "UUID 1"))
        {
            var e = Assert.Throws<IOException>(() => StateLock.Acquire(path, "UUID 1"));
            Assert.Contains("another guest-agent-host is acting on this VM (UUID 1", e.Message, StringComparison.Ordinal);
        }

        using var again = StateLock.Acquire(path, "UUID 1");
    }
}
