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
    private StateLock? _lock;
    private bool _borrowedAgent;

    private HostSession(HostOptions options, IHypervisor hypervisor, StateLock? stateLock, StateStore store, ControllerState state, AgentLink? agent, string? agentProblem, IHostReporter reporter, TimeProvider time)
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

    /// <summary>The VM's side of a live migration as the hypervisor said when the session opened.</summary>
    public MigrationState Migration { get; private init; } = MigrationState.NoMigration;

    /// <summary>For a read-only run: the controller that holds the VM's lock (and may be changing it), or null.</summary>
    public LockHolder? HeldBy { get; private init; }

    private void ReleaseLock()
    {
        _lock?.Dispose();
        _lock = null;
    }

    /// <summary>Opens the VM: hypervisor, lock, state file (reconciled), agent.</summary>
    /// <param name="options">The command's options.</param>
    /// <param name="reporter">Where to say what happens.</param>
    /// <param name="cancellationToken">Stops opening.</param>
    /// <param name="time">The clock of waits.</param>
    /// <param name="agentLink">An agent connection the caller keeps (autoscale's): used instead of a new one, and not closed with the session.</param>
    public static async Task<HostSession> OpenAsync(HostOptions options, IHostReporter reporter, CancellationToken cancellationToken, TimeProvider? time = null, AgentLink? agentLink = null)
    {
        time ??= TimeProvider.System;
        using var waiting = await PersonFirst.WaitForAutoscaleMonitorAsync(options, reporter, time, cancellationToken).ConfigureAwait(false);
        var hypervisor = await ConnectAsync(options, cancellationToken, time).ConfigureAwait(false);
        StateLock? stateLock = null;
        AgentLink? agent = null;
        try
        {
            var key = hypervisor.Identity.Key;
            var lockPath = Path.Combine(options.LockDirectory, key + ".lock");
            var store = new StateStore(options.StatePath ?? Path.Combine(options.StateDirectory, key + ".json"));
            var agentPath = options.AgentPath ?? hypervisor.AgentChannelPath;
            var me = new LockHolder
            {
                Pid = Environment.ProcessId, Command = options.Command, Since = time.GetUtcNow(), Vm = key, Monitor = options.QmpPath,
                Agent = agentPath, StateFile = store.Path,
            };
            LockHolder? other = null;
            if (options.ReadOnly)
            {
                stateLock = StateLock.TryAcquire(lockPath, me);
                other = stateLock is null ? LockHolders.Read(StateLock.HolderPath(lockPath)) ?? UnknownHolder(key, store.Path) : null;
            }
            else
            {
                stateLock = StateLock.TryAcquire(lockPath, me)
                            ?? await PersonFirst.WaitForAutoscaleStepAsync(options, lockPath, me, waiting, reporter, time, cancellationToken).ConfigureAwait(false)
                            ?? StateLock.Acquire(lockPath, hypervisor.Identity.Description, me);
            }

            var state = store.Load();
            if (state.Vm is { } vm && vm != key)
            {
                throw new HostCommandException($"the state file {store.Path} belongs to another VM ({vm}, this one is {key}); give this VM its own --state");
            }

            state.Vm = key;
            if (state.LoadNote is { } note)
            {
                reporter.Report(new HostEvent("warning", "warning: " + note));
            }

            string? problem = null;
            var migration = await hypervisor.MigrationStateAsync(cancellationToken).ConfigureAwait(false);
            if (migration.Phase is MigrationPhase.MigratedAway or MigrationPhase.Incoming)
            {
                problem = migration.Phase == MigrationPhase.MigratedAway
                    ? $"the VM has migrated away ({migration.Said}): its agent answers on the destination"
                    : $"the VM is still arriving by migration ({migration.Said}): its agent answers once it runs here";
            }
            else if (agentPath is null)
            {
                problem = hypervisor.NoAgentChannel(options.AgentPortName);
            }
            else if (other is not null && other.Agent == agentPath)
            {
                problem = $"the agent's channel is in use by {other.Describe()} (one host at a time)";
            }
            else if (agentLink is not null)
            {
                agent = agentLink;
                state.GuestBlockSize = agent.Hello.BlockSize > 0 ? agent.Hello.BlockSize : state.GuestBlockSize;
            }
            else
            {
                try
                {
                    agent = await AgentLink.ConnectAsync(agentPath, options.AgentTimeout, cancellationToken, time).ConfigureAwait(false);
                    state.GuestBlockSize = agent.Hello.BlockSize > 0 ? agent.Hello.BlockSize : state.GuestBlockSize;
                }
                catch (AgentUnavailableException e)
                {
                    problem = e.Message;
                }
            }

            var session = new HostSession(options, hypervisor, stateLock, store, state, agent, problem, reporter, time) { HeldBy = other, Migration = migration, _borrowedAgent = agent is not null && agent == agentLink };
            if (stateLock is not null)
            {
                await RecoveryWorkflow.ReconcileAsync(session, cancellationToken).ConfigureAwait(false);
                if (options.ReadOnly)
                {
                    // Reconciled: the rest only reads, and must not keep a change waiting.
                    session.ReleaseLock();
                }
            }

            return session;
        }
        catch
        {
            if (agent is not null && agent != agentLink)
            {
                await agent.DisposeAsync().ConfigureAwait(false);
            }

            stateLock?.Dispose();
            await hypervisor.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A lock held by a process that wrote no holder file (an older controller).</summary>
    private static LockHolder UnknownHolder(string vm, string stateFile) =>
        new() { Pid = 0, Command = "a command", Since = DateTimeOffset.UnixEpoch, Vm = vm, StateFile = stateFile };

    /// <summary>
    /// The backend the options name: bare QEMU (<c>--qmp</c>) or libvirt (<c>--connect</c> with <c>--domain</c>). A QMP
    /// monitor that stays silent because another controller has it is said as such (<see cref="MonitorHeldException"/>);
    /// a read-only run waits for it only briefly.
    /// </summary>
    public static async Task<IHypervisor> ConnectAsync(HostOptions options, CancellationToken cancellationToken, TimeProvider? time = null)
    {
        if (options.QmpPath is { } qmp)
        {
            var holder = LockHolders.UsingMonitor(options.LockDirectory, qmp);
            var greeting = holder is not null && options.ReadOnly ? TimeSpan.FromSeconds(0.5) : options.QmpTimeout;
            try
            {
                return await QmpHypervisor.ConnectAsync(qmp, greeting, cancellationToken, time).ConfigureAwait(false);
            }
            catch (QmpException e) when (e.Silent && (holder ?? LockHolders.UsingMonitor(options.LockDirectory, qmp)) is { } user)
            {
                throw new MonitorHeldException(user, $"the QMP monitor {qmp} is in use by {user.Describe()}: QEMU serves one client per monitor; wait for it to finish, or give this command a monitor of its own (another -qmp)", e);
            }
        }

        if (options is { LibvirtUri: { } uri, Domain: { } domain })
        {
            try
            {
                return await Libvirt.LibvirtHypervisor.ConnectAsync(uri, domain, options.AgentPortName, options.Persistent, cancellationToken, time).ConfigureAwait(false);
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
        return (memory, LimitsOf(memory, Options, Agent?.Hello.BlockSize is > 0 and var reported ? reported : State.GuestBlockSize));
    }

    /// <summary>What bounds hot-plug on the VM: the guest's block size (or the default), the options' multiple, and the slots and maxmem the user gave or the hypervisor says.</summary>
    public static VmLimits LimitsOf(HypervisorMemory memory, HostOptions options, long? guestBlockSize) => new()
    {
        BlockSize = guestBlockSize is > 0 and var size ? size : options.DefaultBlockSize,
        Multiple = options.Multiple,
        Slots = options.Slots ?? memory.Slots,
        MaxMemory = options.MaxMemory ?? memory.MaxMemory,
    };

    /// <summary>Refuses a change of <paramref name="what"/> while a migration holds the VM on this side (nothing is asked of the hypervisor then).</summary>
    public async Task RefuseDuringMigrationAsync(string what, CancellationToken cancellationToken)
    {
        if ((await Hypervisor.MigrationStateAsync(cancellationToken).ConfigureAwait(false)).Refusal(what) is { } refusal)
        {
            throw new HostCommandException(refusal);
        }
    }

    /// <summary>Writes the state file; only a run that holds the VM's lock may.</summary>
    public void Save()
    {
        if (_lock is null)
        {
            throw new InvalidOperationException("the state file is written only under the VM's lock");
        }

        _store.Save(State);
    }

    public void Say(string kind, string message, string? dimm = null) => Reporter.Report(new HostEvent(kind, message, dimm));

    public async ValueTask DisposeAsync()
    {
        if (Agent is not null && !_borrowedAgent)
        {
            await Agent.DisposeAsync().ConfigureAwait(false);
        }

        await Hypervisor.DisposeAsync().ConfigureAwait(false);
        _lock?.Dispose();
    }
}
