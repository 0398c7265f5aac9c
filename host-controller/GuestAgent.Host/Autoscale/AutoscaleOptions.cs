namespace GuestAgent.Host.Autoscale;

/// <summary>What <c>guest-agent-host autoscale</c> is told beyond the VM: its limits, and how it acts and logs.</summary>
public sealed record AutoscaleOptions
{
    public required AutoscaleLimits Limits { get; init; }

    /// <summary>Decide and log, never act.</summary>
    public bool DryRun { get; init; }

    /// <summary>Log every decision, not only actions and a hold whose reason changed (and one every 5 minutes).</summary>
    public bool Verbose { get; init; }

    /// <summary>How often the VM is read from the hypervisor between steps (the migration state, what a person changed).</summary>
    public TimeSpan ReadVmEvery { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a lost or absent agent is connected again.</summary>
    public TimeSpan ReconnectEvery { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the VM's lock is looked at for a person's command (the agent's channel is let go within this).</summary>
    public TimeSpan YieldCheckEvery { get; init; } = TimeSpan.FromMilliseconds(250);
}
