using GuestAgent.Host.Hypervisor;
using GuestAgent.Host.Qmp;

namespace GuestAgent.Host.Tests.Qmp;

/// <summary>Which side of a migration a QEMU is on, from its run state and query-migrate, as measured on QEMU 7.2.</summary>
public sealed class MigrationStatesTests
{
    [Theory]
    [InlineData("running", null, MigrationPhase.None)]
    [InlineData("running", "failed", MigrationPhase.None)]
    [InlineData("running", "cancelled", MigrationPhase.None)]
    [InlineData("running", "setup", MigrationPhase.Outgoing)]
    [InlineData("running", "active", MigrationPhase.Outgoing)]
    [InlineData("finish-migrate", "device", MigrationPhase.Outgoing)]
    [InlineData("finish-migrate", "completed", MigrationPhase.Outgoing)] // marked completed a moment before postmigrate
    [InlineData("postmigrate", "completed", MigrationPhase.MigratedAway)]
    [InlineData("inmigrate", null, MigrationPhase.Incoming)]
    [InlineData("inmigrate", "active", MigrationPhase.Incoming)]
    [InlineData("running", "completed", MigrationPhase.Arrived)] // a destination says completed too, and runs
    [InlineData("paused", "completed", MigrationPhase.Arrived)]
    public void TheSideComesFromTheRunStateFirst(string runState, string? status, MigrationPhase phase)
    {
        var state = MigrationStates.FromQemu(runState, status);

        Assert.Equal(phase, state.Phase);
        Assert.StartsWith($"QEMU's run state {runState}", state.Said, StringComparison.Ordinal);
        Assert.Equal(phase is MigrationPhase.Outgoing or MigrationPhase.MigratedAway or MigrationPhase.Incoming, state.Refusal("plug 128 MiB") is not null);
    }
}
