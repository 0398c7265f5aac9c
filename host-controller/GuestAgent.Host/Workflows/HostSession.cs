using GuestAgent.Host.Agent;
using GuestAgent.Host.Hypervisor;
using GuestAgent.Host.Operations;
using GuestAgent.Host.Planning;
using GuestAgent.Host.Qmp;
using GuestAgent.Host.Reporting;
using GuestAgent.Host.State;

namespace GuestAgent.Host.Workflows;

/// <summary>
/// One VM for the length of a command: the hypervisor backend, the lock (named after the VM), the state file (the
/// ledger of every DIMM and operation in flight), the agent when it answers, and where to report. Opening it connects
/// to the hypervisor first, so a mistyped socket changes nothing on disk.
/// </summary>
public sealed class HostSession : IAsyncDisposable
{
    private readonly StateStore _store;
    private readonly StateLock _lock;

    private HostSession(HostOptions options, IHypervisor hypervisor, StateLock stateLock, StateStore store, ControllerState state, AgentLink? agent, string? agentProblem, IHostReporter reporter, TimeProvider time)
    {
        Options = options;
        Hypervisor = hypervisor;
        _lock = stateLock;
        _store = store;
        State = state;
        Agent = agent;
        AgentProblem = agentProblem;
        Reporter = reporter;
        Time = time;
    }

    public HostOptions Options { get; }

    public IHypervisor Hypervisor { get; }

    public ControllerState State { get; }

    public string StatePath => _store.Path;

    public AgentLink? Agent { get; }

    /// <summary>Why there is no agent, when there is none.</summary>
    public string? AgentProblem { get; }

    public IHostReporter Reporter { get; }

    public TimeProvider Time { get; }

    public static async Task<HostSession> OpenAsync(HostOptions options, IHostReporter reporter, CancellationToken cancellationToken, TimeProvider? time = null)
    {
        var hypervisor = await ConnectAsync(options, cancellationToken).ConfigureAwait(false);
        StateLock? stateLock = null;
        AgentLink? agent = null;
        try
        {
            stateLock = StateLock.Acquire(Path.Combine(options.LockDirectory, hypervisor.Identity.Key + ".lock"), hypervisor.Identity.Description);
            var store = new StateStore(options.StatePath ?? Path.Combine(options.StateDirectory, hypervisor.Identity.Key + ".json"));
            var state = store.Load();
            if (state.Vm is { } vm && vm != hypervisor.Identity.Key)
            {
                throw new HostCommandException($"the state file {store.Path} belongs to another VM ({vm}, this one is {hypervisor.Identity.Key}); give this VM its own --state");
            }

            state.Vm = hypervisor.Identity.Key;
            string? problem = null;
            var agentPath = options.AgentPath ?? hypervisor.AgentChannelPath;
            if (agentPath is null)
            {
                problem = hypervisor.EventSource == "libvirt"
                    ? $"the domain has no unix channel for {options.AgentPortName} and no --agent was given"
                    : "no --agent channel given";
            }
            else
            {
                try
                {
                    agent = await AgentLink.ConnectAsync(agentPath, options.AgentTimeout, cancellationToken).ConfigureAwait(false);
                    state.GuestBlockSize = agent.Hello.BlockSize > 0 ? agent.Hello.BlockSize : state.GuestBlockSize;
                }
                catch (AgentUnavailableException e)
                {
                    problem = e.Message;
                }
            }

            var session = new HostSession(options, hypervisor, stateLock, store, state, agent, problem, reporter, time ?? TimeProvider.System);
            await RecoveryWorkflow.ReconcileAsync(session, cancellationToken).ConfigureAwait(false);
            return session;
        }
        catch
        {
            if (agent is not null)
            {
                await agent.DisposeAsync().ConfigureAwait(false);
            }

            stateLock?.Dispose();
            await hypervisor.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The backend the options name: bare QEMU (<c>--qmp</c>) or libvirt (<c>--connect</c> with <c>--domain</c>).</summary>
    public static async Task<IHypervisor> ConnectAsync(HostOptions options, CancellationToken cancellationToken)
    {
        if (options.QmpPath is { } qmp)
        {
            return await QmpHypervisor.ConnectAsync(qmp, options.QmpTimeout, cancellationToken).ConfigureAwait(false);
        }

        if (options is { LibvirtUri: { } uri, Domain: { } domain })
        {
            try
            {
                return await Libvirt.LibvirtHypervisor.ConnectAsync(uri, domain, options.AgentPortName, options.Persistent, cancellationToken).ConfigureAwait(false);
            }
            catch (Libvirt.LibvirtException e)
            {
                throw new HostCommandException(e.Message, e);
            }
        }

        throw new HostCommandException("no hypervisor given: --qmp PATH, or --connect URI with --domain NAME");
    }

    /// <summary>The hypervisor's view now, with the limits it knows or the user gave.</summary>
    public async Task<(HypervisorMemory Memory, VmLimits Limits)> ReadAsync(CancellationToken cancellationToken)
    {
        var memory = await Hypervisor.ReadMemoryAsync(cancellationToken).ConfigureAwait(false);
        var blockSize = Agent?.Hello.BlockSize is > 0 and var reported ? reported : State.GuestBlockSize ?? Options.DefaultBlockSize;
        var limits = new VmLimits
        {
            BlockSize = blockSize, Multiple = Options.Multiple,
            Slots = Options.Slots ?? memory.Slots, MaxMemory = Options.MaxMemory ?? memory.MaxMemory,
        };
        return (memory, limits);
    }

    /// <summary>Refuses a change of <paramref name="what"/> while the hypervisor reports a migration (nothing is asked of it then).</summary>
    public async Task RefuseDuringMigrationAsync(string what, CancellationToken cancellationToken)
    {
        if (await Hypervisor.MigrationBlockerAsync(cancellationToken).ConfigureAwait(false) is { } why)
        {
            throw new HostCommandException($"refusing to {what}: {why}");
        }
    }

    public void Save() => _store.Save(State);

    public void Say(string kind, string message, string? dimm = null) => Reporter.Report(new HostEvent(kind, message, dimm));

    public async ValueTask DisposeAsync()
    {
        if (Agent is not null)
        {
            await Agent.DisposeAsync().ConfigureAwait(false);
        }

        await Hypervisor.DisposeAsync().ConfigureAwait(false);
        _lock.Dispose();
    }
}
