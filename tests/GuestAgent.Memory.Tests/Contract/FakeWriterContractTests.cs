using GuestAgent.Memory.Sysfs;
using GuestAgent.Memory.Writing;
using GuestAgent.TestSupport;

namespace GuestAgent.Memory.Tests.Contract;

/// <summary>The fake kernel writer on a fake tree (1 GiB of boot memory, two DIMMs of two blocks online in Movable), held to the writer contract.</summary>
public sealed class FakeWriterContractTests : BlockStateWriterContract
{
    private readonly FakeSysfsTree _tree = new();

    public FakeWriterContractTests() => _tree.AddBootMemory(8).AddDimm(0, 32, 2, "online", "Movable").AddDimm(1, 34, 2, "online", "Movable");

    protected override (IBlockStateWriter Writer, SysfsMemoryReader Reader, IReadOnlyList<int> Movable) Target() =>
        (new FakeKernelBlockStateWriter(_tree), new SysfsMemoryReader(_tree.Root), [32, 33, 34, 35]);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _tree.Dispose();
        }

        base.Dispose(disposing);
    }
}
