using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using GuestAgent.Memory.Agent;
using GuestAgent.Memory.Operations;
using GuestAgent.Memory.Policy;
using GuestAgent.Protocol;
using GuestAgent.Protocol.Messages;
using GuestAgent.Protocol.Payloads;
using GuestAgent.Reporting;

namespace GuestAgent.Channels;

/// <summary>
/// Serves the protocol's commands on the <see cref="MemoryAgent"/>: validates arguments, runs the command, and turns
/// every outcome into a reply, never an exception. Shared by every connection.
/// </summary>
public sealed class CommandDispatcher(MemoryAgent agent, MemoryAgentOptions options, TimeProvider time)
{
    public static string AgentVersion { get; } =
        typeof(CommandDispatcher).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static IReadOnlyList<string> Capabilities { get; } = ["model", "events", "prepare-unplug", "cancel-unplug", "set-policy", "rescan", "sync-delimited"];

    private readonly DateTimeOffset _started = time.GetUtcNow();

    /// <summary>The reply to one request, and whether the 0xFF sentinel goes before it.</summary>
    public async Task<(byte[] Reply, bool Sentinel)> DispatchAsync(ProtocolRequest request, CancellationToken cancellationToken)
    {
        try
        {
            if (request.Execute is CommandNames.GetModel or CommandNames.Rescan && request.Arguments is { } extra && extra.EnumerateObject().Any())
            {
                throw new BadArgumentException($"{request.Execute} takes no arguments");
            }

            return request.Execute switch
            {
                CommandNames.Hello => (Hello(request), false),
                CommandNames.SyncDelimited => (Sync(request), true),
                CommandNames.GetModel => (Reply(ModelReportBuilder.Build(agent.View, options.SysfsRoot), ProtocolJsonContext.Default.ModelReport, request), false),
                CommandNames.Rescan => (Reply(ModelReportBuilder.Build(await agent.ReconcileAsync("rescan request", cancellationToken).ConfigureAwait(false), options.SysfsRoot), ProtocolJsonContext.Default.ModelReport, request), false),
                CommandNames.PrepareUnplug => (Operation(await agent.PrepareUnplugAsync(Selector(request), cancellationToken).ConfigureAwait(false), request), false),
                CommandNames.CancelUnplug => (Operation(await agent.CancelUnplugAsync(Selector(request), cancellationToken).ConfigureAwait(false), request), false),
                CommandNames.SetPolicy => (SetPolicy(request), false),
                _ => (Error(ErrorClasses.UnknownCommand, $"unknown command '{Truncate(request.Execute)}'; known: {string.Join(", ", CommandNames.All)}", request), false),
            };
        }
        catch (BadArgumentException e)
        {
            return (Error(ErrorClasses.BadArgument, e.Message, request), false);
        }
        catch (MemoryOperationException e)
        {
            var errorClass = e.Error switch
            {
                MemoryOperationError.NotFound => ErrorClasses.NotFound,
                MemoryOperationError.NotRemovable => ErrorClasses.NotRemovable,
                MemoryOperationError.Busy => ErrorClasses.Busy,
                _ => ErrorClasses.BadArgument,
            };
            return (Error(errorClass, e.Message, request), false);
        }
    }

    public HelloReturn HelloReturn() => new()
    {
        Protocol = ProtocolLimits.Version,
        Agent = "guest-agent",
        Version = AgentVersion,
        Capabilities = Capabilities,
        BlockSize = agent.View.Snapshot.BlockSize,
        Policy = OnlinePolicyNames.Format(agent.Policy.Kind),
    };

    public byte[] AgentReadyEvent() => ProtocolMessages.Event(
        EventNames.AgentReady,
        new AgentReadyData
        {
            Agent = HelloReturn(),
            Model = ModelReportBuilder.Build(agent.View, options.SysfsRoot),
            UptimeSeconds = (long)(time.GetUtcNow() - _started).TotalSeconds,
        },
        ProtocolJsonContext.Default.AgentReadyData,
        time.GetUtcNow());

    public static byte[] Error(string errorClass, string description, ProtocolRequest? request, string? errno = null) =>
        ProtocolMessages.Error(new ProtocolError(errorClass, description, errno), request?.Id);

    private byte[] Hello(ProtocolRequest request)
    {
        var arguments = Arguments(request, ProtocolJsonContext.Default.HelloArguments) ?? new HelloArguments();
        if (arguments.Protocol is { } version && version != ProtocolLimits.Version)
        {
            return Error(ErrorClasses.ProtocolMismatch, $"this agent speaks protocol {ProtocolLimits.Version}, not {version}", request);
        }

        return Reply(HelloReturn(), ProtocolJsonContext.Default.HelloReturn, request);
    }

    private static byte[] Sync(ProtocolRequest request)
    {
        var arguments = Arguments(request, ProtocolJsonContext.Default.SyncArguments);
        return arguments?.Id is { } id
            ? Reply(new SyncReturn { Id = id }, ProtocolJsonContext.Default.SyncReturn, request)
            : throw new BadArgumentException("sync-delimited needs \"id\": an integer");
    }

    private byte[] SetPolicy(ProtocolRequest request)
    {
        var arguments = Arguments(request, ProtocolJsonContext.Default.SetPolicyArguments) ?? throw new BadArgumentException("set-policy needs \"policy\"");
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
        return Reply(
            new PolicyReturn { Policy = OnlinePolicyNames.Format(policy.Kind), AutoMovableRatio = policy.AutoMovableRatioPercent, NumaAware = policy.NumaAware },
            ProtocolJsonContext.Default.PolicyReturn,
            request);
    }

    private static DimmSelector Selector(ProtocolRequest request)
    {
        var a = Arguments(request, ProtocolJsonContext.Default.DimmArguments) ?? throw new BadArgumentException("name the DIMM: \"slot\", \"id\", or \"start\" and \"size\"");
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

    private byte[] Operation(DimmOperationResult result, ProtocolRequest request)
    {
        var failed = result.Blocks.FirstOrDefault(b => !b.Succeeded && b.Errno is not null);
        var reply = ModelReportBuilder.Operation(result, agent.View);
        return result.Succeeded
            ? Reply(reply, ProtocolJsonContext.Default.OperationReturn, request)
            : ProtocolMessages.Error(new ProtocolError(ErrorClasses.OperationFailed, result.Message, failed?.Errno?.ToString() ?? (result.Blocks.Any(b => b.TimedOut) ? "ETIMEDOUT" : null)), request.Id);
    }

    private static T? Arguments<T>(ProtocolRequest request, JsonTypeInfo<T> type)
        where T : class
    {
        if (request.Arguments is not { } arguments)
        {
            return null;
        }

        try
        {
            return arguments.Deserialize(type);
        }
        catch (JsonException e)
        {
            throw new BadArgumentException($"bad arguments for {request.Execute}: {e.Message}");
        }
    }

    private static byte[] Reply<T>(T value, JsonTypeInfo<T> type, ProtocolRequest request) => ProtocolMessages.Return(value, type, request.Id);

    private static string Truncate(string text) => text.Length <= 64 ? text : text[..64] + "…";
}
