using System.Text.Json.Nodes;
using GuestAgent.Host.Hypervisor;

namespace GuestAgent.Host.Qmp;

/// <summary>Pure: a QEMU's side of a migration from its run state (<c>query-status</c>) and <c>query-migrate</c>'s status.</summary>
public static class MigrationStates
{
    public static MigrationState FromQemu(string? runState, string? migrationStatus)
    {
        var said = $"QEMU's run state {runState ?? "unknown"}" + (migrationStatus is null ? "" : $", migration status {migrationStatus}");
        return (runState, migrationStatus) switch
        {
            ("postmigrate", _) => new MigrationState(MigrationPhase.MigratedAway, said),
            ("inmigrate", _) => new MigrationState(MigrationPhase.Incoming, said),
            ("finish-migrate", _) => new MigrationState(MigrationPhase.Outgoing, said), // the source's last step (the VM stopped)
            (_, null or "none" or "failed" or "cancelled") => new MigrationState(MigrationPhase.None, said),
            (_, "completed") => new MigrationState(MigrationPhase.Arrived, said),
            _ => new MigrationState(MigrationPhase.Outgoing, said),
        };
    }

    /// <summary><c>query-migrate</c>'s answer as progress (QEMU's fields: <c>total-time</c>, <c>downtime</c>, <c>expected-downtime</c>, <c>ram</c>…).</summary>
    public static MigrationProgress Progress(JsonObject? reply) => new()
    {
        Status = reply?["status"]?.GetValue<string>(),
        TotalTimeMs = Long(reply?["total-time"]),
        DowntimeMs = Long(reply?["downtime"]),
        ExpectedDowntimeMs = Long(reply?["expected-downtime"]),
        SetupTimeMs = Long(reply?["setup-time"]),
        RamTotal = Long(reply?["ram"]?["total"]),
        RamTransferred = Long(reply?["ram"]?["transferred"]),
        RamRemaining = Long(reply?["ram"]?["remaining"]),
        Mbps = reply?["ram"]?["mbps"] is JsonValue mbps && mbps.TryGetValue<double>(out var m) ? m : null,
        Error = reply?["error-desc"]?.GetValue<string>(),
    };

    private static long? Long(JsonNode? node) => node is JsonValue value && value.TryGetValue<long>(out var v) ? v : null;
}
