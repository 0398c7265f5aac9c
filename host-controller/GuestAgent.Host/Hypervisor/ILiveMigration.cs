namespace GuestAgent.Host.Hypervisor;

/// <summary>
/// A backend that can move its VM live to a destination already waiting for it (bare QEMU: QEMU's <c>migrate</c> to a
/// second QEMU started with <c>-incoming</c>, Ganeti's way). Under libvirt, <c>virsh migrate</c> is libvirt's own job.
/// </summary>
public interface ILiveMigration
{
    /// <summary>Starts sending the VM to <paramref name="uri"/>; returns at once (the progress says how it goes).</summary>
    Task StartMigrationAsync(string uri, CancellationToken cancellationToken);

    Task<MigrationProgress> MigrationProgressAsync(CancellationToken cancellationToken);

    /// <summary>Asks for the migration to stop: the VM keeps running here.</summary>
    Task CancelMigrationAsync(CancellationToken cancellationToken);

    /// <summary>Connects to the destination's own monitor (to check it before, and see it after).</summary>
    Task<IHypervisor> ConnectDestinationAsync(string monitor, TimeSpan timeout, CancellationToken cancellationToken);
}
