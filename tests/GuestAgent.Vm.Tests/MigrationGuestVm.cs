using GuestAgent.VmHarness;

namespace GuestAgent.Vm.Tests;

/// <summary>
/// A guest that can be migrated: it runs from RAM (no 9p share), with a name and a UUID (its identity for the
/// controller's lock and state file, the same on every side of a migration) and a virtio-mem device of 1 GiB.
/// </summary>
public sealed class MigrationGuestVm : ScenarioVm
{
    public const string Name = "ga-migration";

    public const string Uuid = "4f5d0a3e-1111-4222-8333-944455556666";

    public static TestVmOptions Options => new() { FromRam = true, VirtioMem = true, Name = Name, Uuid = Uuid };

    protected override async Task<TestVm> StartVmAsync() => await VmStart.StartOrSkipAsync(Options);
}
