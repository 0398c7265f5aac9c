using System.Reflection;
using GuestAgent.Memory.Agent;
using GuestAgent.Memory.Operations;
using GuestAgent.Memory.Policy;
using GuestAgent.Memory.Writing;
using GuestAgent.Protocol;
using GuestAgent.Protocol.Messages;
using GuestAgent.Protocol.Model;
using GuestAgent.Protocol.Payloads;
using GuestAgent.Reporting;

namespace GuestAgent.Commands;

/// <summary>
/// The guest's commands, typed: the protocol's dispatcher, D-Bus and the CLI all call these. Arguments are the
/// protocol's payload types; a refusal is a <see cref="CommandRefusedException"/> with the protocol's error class;
/// bad arguments are a <see cref="BadArgumentException"/>. No JSON here.
/// </summary>
public sealed class AgentCommandService(MemoryAgent agent, MemoryAgentOptions options, TimeProvider time)
{
    public static string AgentVersion { get; } =
        typeof(AgentCommandService).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>
    /// What this agent can do. <c>capacity</c>: readiness includes the capacity check and the model carries capacity,
    /// plug budget, warnings and recoveries; <c>force-prepare</c>: <c>prepare-unplug</c> takes <c>force</c>;
    /// <c>make-movable</c>: the command of that name; <c>memory-status</c>: <c>watch-memory</c> and <c>MEMORY_STATUS</c>.
    /// </summary>
    public static IReadOnlyList<string> Capabilities { get; } =
        ["model", "events", "prepare-unplug", "cancel-unplug", "set-policy", "rescan", "sync-delimited", "capacity", "force-prepare", "make-movable", "memory-status"];

    private readonly DateTimeOffset _started = time.GetUtcNow();

    public MemoryAgent Agent => agent;

    public TimeSpan Uptime => time.GetUtcNow() - _started;

    public HelloReturn Hello() => new()
    {
        Protocol = ProtocolLimits.Version,
        Agent = "guest-agent",
        Version = AgentVersion,
        Capabilities = Capabilities,
        BlockSize = agent.View.Snapshot.BlockSize,
        Policy = OnlinePolicyNames.Format(agent.Policy.Kind),
    };

    /// <summary>The model with readiness as of now (a fresh reading of the guest's memory accounting).</summary>
    public ModelReport GetModel() => ModelReportBuilder.Build(agent.RefreshCapacity(), options.SysfsRoot);

    /// <summary>The guest's memory and pressure now and what each device can give back (a fresh reading).</summary>
    public MemoryStatusData MemoryStatus() => MemoryStatusBuilder.Build(agent.RefreshCapacity(), agent.ReadPressure());

    public async Task<ModelReport> RescanAsync(CancellationToken cancellationToken) =>
        ModelReportBuilder.Build(await agent.ReconcileAsync("rescan request", cancellationToken).ConfigureAwait(false), options.SysfsRoot);

    public async Task<OperationReturn> PrepareUnplugAsync(DimmArguments arguments, CancellationToken cancellationToken)
    {
        var selector = Selector(arguments);
        var result = await Run(() => agent.PrepareUnplugAsync(selector, cancellationToken, arguments.Force == true)).ConfigureAwait(false);
        return Outcome(result);
    }

    public async Task<OperationReturn> CancelUnplugAsync(DimmArguments arguments, CancellationToken cancellationToken)
    {
        if (arguments.Force is not null)
        {
            throw new BadArgumentException("cancel-unplug takes no \"force\"");
        }

        var selector = Selector(arguments);
        return Outcome(await Run(() => agent.CancelUnplugAsync(selector, cancellationToken)).ConfigureAwait(false));
    }

    public async Task<OperationReturn> MakeMovableAsync(DimmArguments arguments, CancellationToken cancellationToken)
    {
        var selector = Selector(arguments);
        return Outcome(await Run(() => agent.MakeMovableAsync(selector, cancellationToken, arguments.Force == true)).ConfigureAwait(false));
    }

    public PolicyReturn SetPolicy(SetPolicyArguments arguments)
    {
        var current = agent.Policy;
        var kind = current.Kind;
        if (arguments.Policy is not null && !OnlinePolicyNames.TryParse(arguments.Policy, out kind))
        {
            throw new BadArgumentException($"policy must be one of {OnlinePolicyNames.Choices}");
        }

        var ratio = arguments.AutoMovableRatio ?? current.AutoMovableRatioPercent;
        if (ratio is < 1 or > 100_000)
        {
            throw new BadArgumentException("auto-movable-ratio must be a percentage from 1 to 100000");
        }

        var policy = new OnlinePolicy(kind, ratio, arguments.NumaAware ?? current.NumaAware);
        agent.SetPolicy(policy);
        return new PolicyReturn { Policy = OnlinePolicyNames.Format(policy.Kind), AutoMovableRatio = policy.AutoMovableRatioPercent, NumaAware = policy.NumaAware };
    }

    private static DimmSelector Selector(DimmArguments a)
    {
        var given = (a.Slot is not null ? 1 : 0) + (a.Id is not null ? 1 : 0) + (a.Start is not null || a.Size is not null ? 1 : 0);
        if (given != 1)
        {
            throw new BadArgumentException("name the DIMM by exactly one of \"slot\", \"id\", or \"start\" with \"size\"");
        }

        if (a.Slot is { } slot)
        {
            return slot >= 0 ? DimmSelector.ForSlot(slot) : throw new BadArgumentException("slot must not be negative");
        }

        if (a.Id is { } id)
        {
            return id.Length is > 0 and <= 64 ? DimmSelector.ForId(id) : throw new BadArgumentException("id must be 1 to 64 characters");
        }

        return a is { Start: { } start, Size: { } size } ? DimmSelector.ForRange(start, size) : throw new BadArgumentException("a range needs both \"start\" and \"size\"");
    }

    private static async Task<DimmOperationResult> Run(Func<Task<DimmOperationResult>> operation)
    {
        try
        {
            return await operation().ConfigureAwait(false);
        }
        catch (MemoryOperationException e)
        {
            throw new CommandRefusedException(
                e.Error switch
                {
                    MemoryOperationError.NotFound => ErrorClasses.NotFound,
                    MemoryOperationError.NotRemovable => ErrorClasses.NotRemovable,
                    MemoryOperationError.Busy => ErrorClasses.Busy,
                    MemoryOperationError.InsufficientMemory => ErrorClasses.InsufficientMemory,
                    _ => ErrorClasses.BadArgument,
                },
                e.Message);
        }
    }

    /// <summary>A finished operation: its report when it succeeded, else the refusal with the first failing block's errno.</summary>
    private OperationReturn Outcome(DimmOperationResult result)
    {
        if (result.Succeeded)
        {
            return ModelReportBuilder.Operation(result, agent.View);
        }

        if (result.StopReason is not null)
        {
            throw new CommandRefusedException(ErrorClasses.InsufficientMemory, result.Message);
        }

        var failed = result.Blocks.FirstOrDefault(b => !b.Succeeded && b.Errno is not null);
        var errno = failed?.Errno is { } e ? ErrnoNames.Name(e) : result.Blocks.Any(b => b.TimedOut) ? "ETIMEDOUT" : null;
        throw new CommandRefusedException(ErrorClasses.OperationFailed, result.Message, errno);
    }
}
