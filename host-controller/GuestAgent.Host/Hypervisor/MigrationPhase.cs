namespace GuestAgent.Host.Hypervisor;

/// <summary>Where a VM is in a live migration, as its hypervisor reports it on this side.</summary>
public enum MigrationPhase
{
    /// <summary>No migration, or the last one failed or was cancelled (the VM runs here).</summary>
    None,

    /// <summary>This side is sending the VM to a destination.</summary>
    Outgoing,

    /// <summary>This side sent the VM away: it runs on the destination now (QEMU's run state <c>postmigrate</c>).</summary>
    MigratedAway,

    /// <summary>This side waits for or receives the VM (QEMU's run state <c>inmigrate</c>): it runs here once that ends.</summary>
    Incoming,

    /// <summary>This side received the VM: a destination that runs it, like any VM.</summary>
    Arrived,
}
