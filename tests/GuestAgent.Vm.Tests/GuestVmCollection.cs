namespace GuestAgent.Vm.Tests;

/// <summary>Tests that share one booted guest (booting costs seconds under TCG); they run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class GuestVmCollection : ICollectionFixture<GuestVmFixture>
{
    public const string Name = "guest VM";
}
