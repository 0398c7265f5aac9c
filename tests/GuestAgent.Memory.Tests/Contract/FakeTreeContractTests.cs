using GuestAgent.Memory.Sysfs;
using GuestAgent.TestSupport;

namespace GuestAgent.Memory.Tests.Contract;

/// <summary>The contract on a fake QEMU guest: boot memory, DIMMs in every state, an empty slot, a gap.</summary>
public sealed class FakeTreeContractTests : SysfsMemoryContract, IDisposable
{
    private readonly FakeSysfsTree _tree = new();

    public FakeTreeContractTests()
    {
        _tree.AddBootMemory(8)
            .AddDimm(0, 32, 2)
            .AddDimm(1, 34, 2, "online", "Movable")
            .AddDimm(2, 36, 2, "online", "Normal")
            .AddDimm(4, 40, 1, node: 1)
            .AddAcpiDevice(3, 0);
    }

    protected override SysfsRoot? Root => _tree.Root;

    public void Dispose() => _tree.Dispose();
}
