using GuestAgent.Memory.Sysfs;

namespace GuestAgent.Memory.Tests.Contract;

/// <summary>
/// The contract on the running kernel's own /sys (read-only): the seam checked against the real thing on whatever
/// machine runs the tests. The test VM runs it against a guest kernel with hot-plugged DIMMs.
/// </summary>
public sealed class RealKernelContractTests : SysfsMemoryContract
{
    protected override SysfsRoot? Root =>
        Environment.GetEnvironmentVariable("GUEST_AGENT_CONTRACT_SYSFS") is { Length: > 0 } path
            ? new SysfsRoot(path)
            : File.Exists(Path.Combine(SysfsRoot.Default.MemoryDirectory, "block_size_bytes")) ? SysfsRoot.Default : null;
}
