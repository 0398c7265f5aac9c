using GuestAgent.Commands;
using GuestAgent.Protocol;
using GuestAgent.Protocol.Messages;
using GuestAgent.Protocol.Payloads;

namespace GuestAgent.Channels;

/// <summary>
/// The protocol's adapter onto <see cref="AgentCommandService"/>: reads the request's arguments into their payload
/// types, runs the command, and turns every outcome into a reply, never an exception. JSON lives here and in the
/// protocol library only. Shared by every connection.
/// </summary>
public sealed class CommandDispatcher(AgentCommandService commands, TimeProvider time)
{
    public AgentCommandService Commands => commands;

    /// <summary>The reply to one request, and whether the 0xFF sentinel goes before it.</summary>
    /// <param name="watch">The connection's <c>watch-memory</c> (null where there is no connection to push to: <c>UnknownCommand</c>).</param>
    public async Task<(byte[] Reply, bool Sentinel)> DispatchAsync(ProtocolRequest request, CancellationToken cancellationToken, MemoryStatusWatch? watch = null)
    {
        try
        {
            return request.Execute switch
            {
                CommandNames.Hello => (Hello(request), false),
                CommandNames.SyncDelimited => (Sync(request), true),
                CommandNames.GetModel => (Reply(NoArguments(request, commands.GetModel), ProtocolJsonContext.Default.ModelReport, request), false),
                CommandNames.Rescan => (Reply(await NoArguments(request, () => commands.RescanAsync(cancellationToken)).ConfigureAwait(false), ProtocolJsonContext.Default.ModelReport, request), false),
                CommandNames.PrepareUnplug => (Reply(await commands.PrepareUnplugAsync(Dimm(request), cancellationToken).ConfigureAwait(false), ProtocolJsonContext.Default.OperationReturn, request), false),
                CommandNames.CancelUnplug => (Reply(await commands.CancelUnplugAsync(Dimm(request), cancellationToken).ConfigureAwait(false), ProtocolJsonContext.Default.OperationReturn, request), false),
                CommandNames.MakeMovable => (Reply(await commands.MakeMovableAsync(Dimm(request), cancellationToken).ConfigureAwait(false), ProtocolJsonContext.Default.OperationReturn, request), false),
                CommandNames.SetPolicy => (Reply(commands.SetPolicy(ArgumentReader.Read(request, ProtocolJsonContext.Default.SetPolicyArguments) ?? throw new BadArgumentException("set-policy needs \"policy\"")), ProtocolJsonContext.Default.PolicyReturn, request), false),
                CommandNames.WatchMemory when watch is not null => (Watch(request, watch), false),
                _ => (Error(ErrorClasses.UnknownCommand, $"unknown command '{Truncate(request.Execute)}'; known: {string.Join(", ", CommandNames.All)}", request), false),
            };
        }
        catch (BadArgumentException e)
        {
            return (Error(ErrorClasses.BadArgument, e.Message, request), false);
        }
        catch (CommandRefusedException e)
        {
            return (Error(e.ErrorClass, e.Message, request, e.Errno), false);
        }
    }

    public byte[] AgentReadyEvent() => ProtocolMessages.Event(
        EventNames.AgentReady,
        new AgentReadyData
        {
            Agent = commands.Hello(),
            Model = commands.GetModel(),
            UptimeSeconds = (long)commands.Uptime.TotalSeconds,
        },
        ProtocolJsonContext.Default.AgentReadyData,
        time.GetUtcNow());

    /// <summary><c>MEMORY_STATUS</c> as of now.</summary>
    public byte[] MemoryStatusEvent() => ProtocolMessages.Event(
        EventNames.MemoryStatus, commands.MemoryStatus(), ProtocolJsonContext.Default.MemoryStatusData, time.GetUtcNow());

    public static byte[] Error(string errorClass, string description, ProtocolRequest? request, string? errno = null) =>
        ProtocolMessages.Error(new ProtocolError(errorClass, description, errno), request?.Id);

    private byte[] Hello(ProtocolRequest request)
    {
        var arguments = ArgumentReader.Read(request, ProtocolJsonContext.Default.HelloArguments) ?? new HelloArguments();
        if (arguments.Protocol is { } version && version != ProtocolLimits.Version)
        {
            return Error(ErrorClasses.ProtocolMismatch, $"this agent speaks protocol {ProtocolLimits.Version}, not {version}", request);
        }

        return Reply(commands.Hello(), ProtocolJsonContext.Default.HelloReturn, request);
    }

    private static byte[] Watch(ProtocolRequest request, MemoryStatusWatch watch)
    {
        var interval = ArgumentReader.Read(request, ProtocolJsonContext.Default.WatchMemoryArguments)?.IntervalMs ?? MemoryStatusWatch.DefaultIntervalMs;
        if (MemoryStatusWatch.Problem(interval) is { } problem)
        {
            throw new BadArgumentException($"watch-memory: {problem}");
        }

        watch.Set(interval);
        return Reply(new WatchMemoryReturn { IntervalMs = interval }, ProtocolJsonContext.Default.WatchMemoryReturn, request);
    }

    private static byte[] Sync(ProtocolRequest request)
    {
        var arguments = ArgumentReader.Read(request, ProtocolJsonContext.Default.SyncArguments);
        return arguments?.Id is { } id
            ? Reply(new SyncReturn { Id = id }, ProtocolJsonContext.Default.SyncReturn, request)
            : throw new BadArgumentException("sync-delimited needs \"id\": an integer");
    }

    private static DimmArguments Dimm(ProtocolRequest request) =>
        ArgumentReader.Read(request, ProtocolJsonContext.Default.DimmArguments)
        ?? throw new BadArgumentException("name the DIMM: \"slot\", \"id\", or \"start\" and \"size\"");

    private static T NoArguments<T>(ProtocolRequest request, Func<T> run) =>
        request.Arguments is { } extra && extra.EnumerateObject().Any() ? throw new BadArgumentException($"{request.Execute} takes no arguments") : run();

    private static byte[] Reply<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, ProtocolRequest request) => ProtocolMessages.Return(value, type, request.Id);

    private static string Truncate(string text) => text.Length <= 64 ? text : text[..64] + "…";
}
