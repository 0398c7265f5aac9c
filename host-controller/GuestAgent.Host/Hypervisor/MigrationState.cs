namespace GuestAgent.Host.Hypervisor;

/// <summary>
/// A VM's side of a live migration, as its hypervisor reports it (QEMU: the run state and <c>query-migrate</c>; libvirt:
/// the domain's state and job), and what that means for changing its memory.
/// </summary>
/// <param name="Phase">Where it is.</param>
/// <param name="Said">What the hypervisor said, for people: <c>QEMU's run state postmigrate, migration status completed</c>.</param>
public sealed record MigrationState(MigrationPhase Phase, string Said)
{
    public static MigrationState NoMigration { get; } = new(MigrationPhase.None, "no migration");

    /// <summary>A migration holds the VM here: its memory must not change (VDSM refuses too).</summary>
    public bool Holds => Phase is MigrationPhase.Outgoing or MigrationPhase.MigratedAway or MigrationPhase.Incoming;

    /// <summary>Why <paramref name="what"/> is refused now, for people; null when nothing holds the VM.</summary>
    public string? Refusal(string what) => Phase switch
    {
        MigrationPhase.Outgoing => $"refusing to {what}: a migration of this VM is under way ({Said}): change its memory once it has ended, on whichever side runs the VM",
        MigrationPhase.MigratedAway => $"refusing to {what}: this VM has migrated away ({Said}): change its memory on the destination",
        MigrationPhase.Incoming => $"refusing to {what}: this VM is still arriving by migration ({Said}): change its memory once it runs here",
        _ => null,
    };
}
