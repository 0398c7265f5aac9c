using GuestAgent.Host.Agent;
using GuestAgent.Host.Reporting;
using GuestAgent.Host.State;
using GuestAgent.Host.Workflows;

namespace GuestAgent.Host.Operations;

/// <summary>
/// One VM's controller for the length of a command: a <see cref="HostSession"/> (hypervisor, lock, state file,
/// agent; reconciled on open) and the workflows over it. Every step that changes the VM is recorded in the state file
/// before it is taken, so a controller that dies at any point is finished or rolled back by the next one.
/// </summary>
public sealed class HostController : IAsyncDisposable
{
    private readonly HostSession _session;

    private HostController(HostSession session) => _session = session;

    public ControllerState State => _session.State;

    public AgentLink? Agent => _session.Agent;

    /// <summary>Why there is no agent, when there is none.</summary>
    public string? AgentProblem => _session.AgentProblem;

    public HostSession Session => _session;

    public static async Task<HostController> OpenAsync(HostOptions options, TextWriter output, CancellationToken cancellationToken, TimeProvider? time = null) =>
        await OpenAsync(options, new TextReporter(output), cancellationToken, time).ConfigureAwait(false);

    public static async Task<HostController> OpenAsync(HostOptions options, IHostReporter reporter, CancellationToken cancellationToken, TimeProvider? time = null) =>
        new(await HostSession.OpenAsync(options, reporter, cancellationToken, time).ConfigureAwait(false));

    public Task ReconcileAsync(CancellationToken cancellationToken) => RecoveryWorkflow.ReconcileAsync(_session, cancellationToken);

    public Task<StatusReport> StatusAsync(CancellationToken cancellationToken) => StatusWorkflow.RunAsync(_session, cancellationToken);

    public Task<DimmRecord> PlugAsync(long size, int? node, CancellationToken cancellationToken, bool force = false) =>
        PlugWorkflow.RunAsync(_session, size, node, force, cancellationToken);

    public Task UnplugAsync(string id, bool force, CancellationToken cancellationToken) => UnplugWorkflow.RunAsync(_session, id, force, cancellationToken);

    /// <summary>
    /// The QEMU arguments that recreate the VM's DIMMs at its next start (bare QEMU), and what they cannot carry
    /// (DIMMs without an id, a backend of another type, a DIMM being unplugged).
    /// </summary>
    public async Task<(IReadOnlyList<string> Arguments, IReadOnlyList<string> Problems)> RestartArgumentsAsync(CancellationToken cancellationToken)
    {
        try
        {
            var (arguments, problems) = await _session.Hypervisor.RestartArgumentsAsync(cancellationToken).ConfigureAwait(false);
            var busy = _session.State.Dimms.Where(d => d.Operation != GuestAgent.Host.State.DimmOperation.None)
                .Select(d => $"{d.Id} is in the middle of {Workflows.GuestSteps.Describe(d.Operation)}: run status first, or the new VM may get a DIMM this one is losing");
            return (arguments, [.. problems, .. busy]);
        }
        catch (Hypervisor.HypervisorRefusedException e)
        {
            throw new HostCommandException(e.Message, e);
        }
    }

    /// <summary>Moves the VM live to <paramref name="uri"/> (bare QEMU); see <see cref="MigrateWorkflow"/>.</summary>
    public Task<State.MigrationRecord> MigrateAsync(string uri, string? destinationMonitor, string? stateTo, CancellationToken cancellationToken) =>
        MigrateWorkflow.RunAsync(_session, uri, destinationMonitor, stateTo, cancellationToken);

    public Task MakeMovableAsync(string id, bool force, CancellationToken cancellationToken) => MakeMovableWorkflow.RunAsync(_session, id, force, cancellationToken);

    public Task<long> SetMemoryAsync(long target, bool force, CancellationToken cancellationToken) => SetMemoryWorkflow.RunAsync(_session, target, force, cancellationToken);

    public ValueTask DisposeAsync() => _session.DisposeAsync();
}
