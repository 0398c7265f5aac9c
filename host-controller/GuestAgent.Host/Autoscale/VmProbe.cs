using GuestAgent.Host.Operations;
using GuestAgent.Host.Workflows;

namespace GuestAgent.Host.Autoscale;

/// <summary>
/// Reads the VM through a connection of its own, closed at once: between steps autoscale holds neither the VM's lock
/// nor (bare QEMU) its only monitor, so a person's command finds them free.
/// </summary>
public sealed class VmProbe(HostOptions options, TimeProvider time)
{
    /// <summary>Throws what connecting throws (<see cref="MonitorHeldException"/> while another command has the monitor).</summary>
    public async Task<VmReading> ReadAsync(long? guestBlockSize, CancellationToken cancellationToken)
    {
        await using var hypervisor = await HostSession.ConnectAsync(options with { ReadOnly = true }, cancellationToken, time).ConfigureAwait(false);
        var memory = await hypervisor.ReadMemoryAsync(cancellationToken).ConfigureAwait(false);
        var migration = await hypervisor.MigrationStateAsync(cancellationToken).ConfigureAwait(false);
        var limits = HostSession.LimitsOf(memory, options, guestBlockSize);
        var agent = options.AgentPath ?? hypervisor.AgentChannelPath;
        return new VmReading(hypervisor.Identity, memory, limits, migration, agent, agent is null ? hypervisor.NoAgentChannel(options.AgentPortName) : null, time.GetUtcNow());
    }
}
