using GuestAgent.Commands;
using GuestAgent.Protocol.Messages;
using GuestAgent.Protocol.Payloads;
using Microsoft.Extensions.Logging;
using Tmds.DBus.Protocol;

namespace GuestAgent.DBus;

/// <summary>
/// The object at <c>/org/guestagent/Memory1</c>: introspection, properties from the current <see cref="BusState"/>,
/// and the methods, which call the same typed <see cref="AgentCommandService"/> as the protocol (one set of rules)
/// after two checks of their own: the argument signature, and that the caller is root (the bus says who it is).
/// </summary>
internal sealed class MemoryBusObject(Func<BusState> state, AgentCommandService commands, ILogger logger, CancellationToken stopping) : IPathMethodHandler
{
    private const string InvalidArgs = "org.freedesktop.DBus.Error.InvalidArgs";
    private const string AccessDenied = "org.freedesktop.DBus.Error.AccessDenied";

    public string Path => MemoryBusInterface.ObjectPath;

    public bool HandlesChildPaths => false;

    public ValueTask HandleMethodAsync(MethodContext context)
    {
        if (context.IsDBusIntrospectRequest)
        {
            context.ReplyIntrospectXml([.. MemoryBusInterface.InterfaceXml], Array.Empty<string>());
            return ValueTask.CompletedTask;
        }

        var request = context.Request;
        var member = request.MemberAsString ?? "";
        switch (request.InterfaceAsString)
        {
            case MemoryBusInterface.PropertiesInterface:
                HandleProperties(context, member, request.SignatureAsString ?? "");
                break;
            case MemoryBusInterface.InterfaceName:
                HandleMethod(context, member, request.SignatureAsString ?? "");
                break;
            default:
                context.ReplyUnknownMethodError();
                break;
        }

        return ValueTask.CompletedTask;
    }

    private void HandleProperties(MethodContext context, string member, string signature)
    {
        var expected = member switch { "Get" => "ss", "GetAll" => "s", "Set" => "ssv", _ => null };
        if (expected is null)
        {
            context.ReplyError("org.freedesktop.DBus.Error.UnknownMethod", $"no method {member} in {MemoryBusInterface.PropertiesInterface}");
            return;
        }

        if (signature != expected)
        {
            context.ReplyError(InvalidArgs, $"{member} takes ({expected}), not ({signature})");
            return;
        }

        var reader = context.Request.GetBodyReader();
        var iface = reader.ReadString();
        if (iface != MemoryBusInterface.InterfaceName && !(member == "GetAll" && iface.Length == 0))
        {
            context.ReplyError("org.freedesktop.DBus.Error.UnknownInterface", $"no interface '{iface}' here");
            return;
        }

        var current = state();
        switch (member)
        {
            case "Get":
                var name = reader.ReadString();
                if (!MemoryBusInterface.PropertyNames.Contains(name))
                {
                    context.ReplyError("org.freedesktop.DBus.Error.UnknownProperty", $"no property '{name}'");
                    return;
                }

                var variant = context.CreateReplyWriter("v");
                try
                {
                    BusProperties.WriteVariant(ref variant, name, current);
                    context.Reply(variant.CreateMessage());
                }
                finally
                {
                    variant.Dispose();
                }

                break;
            case "GetAll":
                var all = context.CreateReplyWriter("a{sv}");
                try
                {
                    BusProperties.WriteDictionary(ref all, MemoryBusInterface.PropertyNames, current);
                    context.Reply(all.CreateMessage());
                }
                finally
                {
                    all.Dispose();
                }

                break;
            default:
                context.ReplyError("org.freedesktop.DBus.Error.PropertyReadOnly", "every property is read-only; use the methods");
                break;
        }
    }

    private void HandleMethod(MethodContext context, string member, string signature)
    {
        if (!MemoryBusInterface.MethodSignatures.TryGetValue(member, out var expected))
        {
            context.ReplyError("org.freedesktop.DBus.Error.UnknownMethod", $"no method '{member}'; known: {string.Join(", ", MemoryBusInterface.MethodSignatures.Keys)}");
            return;
        }

        if (signature != expected)
        {
            context.ReplyError(InvalidArgs, $"{member} takes ({expected}), not ({signature})");
            return;
        }

        var reader = context.Request.GetBodyReader();
        uint slot = 0;
        string text = "";
        if (expected == "u")
        {
            slot = reader.ReadUInt32();
        }
        else if (expected == "s")
        {
            text = reader.ReadString();
        }

        // The caller's uid needs a call to the bus, and an unplug takes long: the library reads no further message
        // until this returns, so the rest runs on its own and replies when done.
        var sender = context.Request.SenderAsString ?? "";
        context.DisposesAsynchronously = true;
        _ = Task.Run(() => RunAsync(context, member, sender, slot, text));
    }

    private async Task RunAsync(MethodContext context, string member, string sender, uint slot, string text)
    {
        try
        {
            if (await BusCaller.UnixUserAsync(context.Connection, sender).ConfigureAwait(false) is not 0)
            {
                context.ReplyError(AccessDenied, $"only root may call {member}");
                return;
            }

            switch (member)
            {
                case "PrepareUnplug":
                    ReplyOperation(context, await commands.PrepareUnplugAsync(new DimmArguments { Slot = checked((int)slot) }, stopping).ConfigureAwait(false));
                    break;
                case "CancelUnplug":
                    ReplyOperation(context, await commands.CancelUnplugAsync(new DimmArguments { Slot = checked((int)slot) }, stopping).ConfigureAwait(false));
                    break;
                case "MakeMovable":
                    ReplyOperation(context, await commands.MakeMovableAsync(new DimmArguments { Slot = checked((int)slot) }, stopping).ConfigureAwait(false));
                    break;
                case "Rescan":
                    await commands.RescanAsync(stopping).ConfigureAwait(false);
                    ReplyEmpty(context);
                    break;
                default:
                    commands.SetPolicy(new SetPolicyArguments { Policy = text });
                    ReplyEmpty(context);
                    break;
            }
        }
        catch (BadArgumentException e)
        {
            context.ReplyError(MemoryBusInterface.ErrorPrefix + ErrorClasses.BadArgument, e.Message);
        }
        catch (CommandRefusedException e)
        {
            context.ReplyError(MemoryBusInterface.ErrorPrefix + e.ErrorClass, e.Errno is null ? e.Message : $"{e.Message} ({e.Errno})");
        }
        catch (OverflowException)
        {
            context.ReplyError(MemoryBusInterface.ErrorPrefix + ErrorClasses.NotFound, $"no DIMM in slot {slot}");
        }
        catch (OperationCanceledException)
        {
            // The agent stops mid-call: the caller is told, not left waiting (an operation in progress rolled back).
            context.ReplyError(MemoryBusInterface.StoppingError, $"the agent is stopping: {member} was not carried out (what it had begun was rolled back)");
        }
        catch (Exception e)
        {
            logger.LogError(e, "D-Bus {Member} failed", member);
            context.ReplyError(MemoryBusInterface.ErrorPrefix + ErrorClasses.InternalError, "the agent failed to carry out the call; see its log");
        }
        finally
        {
            context.Dispose();
        }
    }

    private static void ReplyOperation(MethodContext context, OperationReturn result)
    {
        var writer = context.CreateReplyWriter("bs");
        try
        {
            writer.WriteBool(result.Ok);
            writer.WriteString(result.Message);
            context.Reply(writer.CreateMessage());
        }
        finally
        {
            writer.Dispose();
        }
    }

    private static void ReplyEmpty(MethodContext context)
    {
        var writer = context.CreateReplyWriter(null!);
        try
        {
            context.Reply(writer.CreateMessage());
        }
        finally
        {
            writer.Dispose();
        }
    }
}
