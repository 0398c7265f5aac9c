using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using GuestAgent.Channels;
using GuestAgent.Protocol.Messages;
using Microsoft.Extensions.Logging;

namespace GuestAgent.DBus;

/// <summary>
/// The object at <c>/org/guestagent/Memory1</c>, on the bus thread: introspection, properties from the current
/// <see cref="BusState"/>, and the methods, which go through the same <see cref="CommandDispatcher"/> as the protocol
/// (one set of rules) after two checks of their own: the argument signature, and that the caller is root.
/// </summary>
internal sealed class MemoryBusObject(Func<BusState> state, CommandDispatcher dispatcher, Action<Action> postToBusThread, ILogger logger, CancellationToken stopping)
{
    private const string InvalidArgs = "org.freedesktop.DBus.Error.InvalidArgs";
    private const string AccessDenied = "org.freedesktop.DBus.Error.AccessDenied";

    /// <summary>Returns 1 when the call was answered, 0 to let sd-bus answer (unknown interface).</summary>
    public int Handle(nint call)
    {
        var iface = BusMessage.Text(SdBusNative.sd_bus_message_get_interface(call));
        var member = BusMessage.Text(SdBusNative.sd_bus_message_get_member(call)) ?? "";
        try
        {
            switch (iface)
            {
                case MemoryBusInterface.IntrospectableInterface when member == "Introspect":
                    Reply(call, m => BusMessage.String(m, MemoryBusInterface.IntrospectionXml));
                    return 1;
                case MemoryBusInterface.PropertiesInterface:
                    HandleProperties(call, member);
                    return 1;
                case MemoryBusInterface.InterfaceName:
                    HandleMethod(call, member);
                    return 1;
                default:
                    return 0;
            }
        }
        catch (DBusException e)
        {
            logger.LogWarning("D-Bus {Interface}.{Member}: {Error}", iface, member, e.Message);
            ReplyError(call, "org.freedesktop.DBus.Error.Failed", e.Message);
            return 1;
        }
    }

    private void HandleProperties(nint call, string member)
    {
        var signature = BusMessage.Signature(call);
        var expected = member switch { "Get" => "ss", "GetAll" => "s", "Set" => "ssv", _ => null };
        if (expected is null)
        {
            ReplyError(call, "org.freedesktop.DBus.Error.UnknownMethod", $"no method {member} in {MemoryBusInterface.PropertiesInterface}");
            return;
        }

        if (signature != expected)
        {
            ReplyError(call, InvalidArgs, $"{member} takes ({expected}), not ({signature})");
            return;
        }

        var iface = BusMessage.ReadString(call);
        if (iface != MemoryBusInterface.InterfaceName && !(member == "GetAll" && iface.Length == 0))
        {
            ReplyError(call, "org.freedesktop.DBus.Error.UnknownInterface", $"no interface '{iface}' here");
            return;
        }

        var current = state();
        switch (member)
        {
            case "Get":
                var name = BusMessage.ReadString(call);
                if (!MemoryBusInterface.PropertyNames.Contains(name))
                {
                    ReplyError(call, "org.freedesktop.DBus.Error.UnknownProperty", $"no property '{name}'");
                    return;
                }

                Reply(call, m => WriteVariant(m, name, current));
                break;
            case "GetAll":
                Reply(call, m => WriteProperties(m, MemoryBusInterface.PropertyNames, current));
                break;
            default:
                ReplyError(call, "org.freedesktop.DBus.Error.PropertyReadOnly", "every property is read-only; use the methods");
                break;
        }
    }

    private void HandleMethod(nint call, string member)
    {
        if (!MemoryBusInterface.MethodSignatures.TryGetValue(member, out var expected))
        {
            ReplyError(call, "org.freedesktop.DBus.Error.UnknownMethod", $"no method '{member}'; known: {string.Join(", ", MemoryBusInterface.MethodSignatures.Keys)}");
            return;
        }

        var signature = BusMessage.Signature(call);
        if (signature != expected)
        {
            ReplyError(call, InvalidArgs, $"{member} takes ({expected}), not ({signature})");
            return;
        }

        if (CallerUid(call) is not 0)
        {
            ReplyError(call, AccessDenied, $"only root may call {member}");
            return;
        }

        var arguments = new JsonObject();
        var command = member switch
        {
            "PrepareUnplug" => CommandNames.PrepareUnplug,
            "CancelUnplug" => CommandNames.CancelUnplug,
            "Rescan" => CommandNames.Rescan,
            _ => CommandNames.SetPolicy,
        };
        if (expected == "u")
        {
            arguments["slot"] = BusMessage.ReadUInt32(call);
        }
        else if (expected == "s")
        {
            arguments["policy"] = BusMessage.ReadString(call);
        }

        var request = new ProtocolRequest(command, JsonSerializer.SerializeToElement(arguments, DBusJsonContext.Default.JsonObject), null);
        SdBusNative.sd_bus_message_ref(call);
        _ = Task.Run(async () =>
        {
            byte[] reply;
            try
            {
                (reply, _) = await dispatcher.DispatchAsync(request, stopping).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                reply = CommandDispatcher.Error(ErrorClasses.InternalError, e.Message, request);
            }

            postToBusThread(() =>
            {
                try
                {
                    Complete(call, expected == "u", reply);
                }
                catch (DBusException e)
                {
                    logger.LogWarning("D-Bus reply to {Member}: {Error}", member, e.Message);
                }
                finally
                {
                    SdBusNative.sd_bus_message_unref(call);
                }
            });
        });
    }

    private void Complete(nint call, bool operation, byte[] reply)
    {
        var message = JsonNode.Parse(reply)!;
        if (message["error"] is JsonObject error)
        {
            ReplyError(call, MemoryBusInterface.ErrorPrefix + (error["class"]?.GetValue<string>() ?? "InternalError"), error["desc"]?.GetValue<string>() ?? "");
            return;
        }

        Reply(call, m =>
        {
            if (operation)
            {
                BusMessage.Boolean(m, message["return"]?["ok"]?.GetValue<bool>() ?? false);
                BusMessage.String(m, message["return"]?["message"]?.GetValue<string>() ?? "");
            }
        });
    }

    /// <summary>The caller's effective uid from the bus; null when the bus will not say.</summary>
    private static uint? CallerUid(nint call)
    {
        if (SdBusNative.sd_bus_query_sender_creds(call, SdBusNative.CredsUidAndEuid, out var creds) < 0)
        {
            return null;
        }

        try
        {
            if (SdBusNative.sd_bus_creds_get_euid(creds, out var euid) >= 0)
            {
                return euid;
            }

            return SdBusNative.sd_bus_creds_get_uid(creds, out var uid) >= 0 ? uid : null;
        }
        finally
        {
            SdBusNative.sd_bus_creds_unref(creds);
        }
    }

    /// <summary>An <c>a{sv}</c> of the named properties: <c>GetAll</c>'s reply and <c>PropertiesChanged</c>'s payload.</summary>
    public static void WriteProperties(nint message, IEnumerable<string> names, BusState current)
    {
        BusMessage.Open(message, 'a', "{sv}");
        foreach (var name in names)
        {
            BusMessage.Open(message, 'e', "sv");
            BusMessage.String(message, name);
            WriteVariant(message, name, current);
            BusMessage.Close(message);
        }

        BusMessage.Close(message);
    }

    private static void WriteVariant(nint message, string name, BusState current)
    {
        switch (name)
        {
            case "BlockSize":
                BusMessage.Open(message, 'v', "t");
                BusMessage.UInt64(message, (ulong)Math.Max(0, current.Model.BlockSize));
                break;
            case "Policy":
                BusMessage.Open(message, 'v', "s");
                BusMessage.String(message, current.Model.Policy);
                break;
            case "HostConnected":
                BusMessage.Open(message, 'v', "b");
                BusMessage.Boolean(message, current.HostConnected);
                break;
            default:
                BusMessage.Open(message, 'v', "a" + MemoryBusInterface.DimmSignature);
                BusMessage.Open(message, 'a', MemoryBusInterface.DimmSignature);
                foreach (var dimm in current.Model.Dimms)
                {
                    BusMessage.Open(message, 'r', MemoryBusInterface.DimmSignature[1..^1]);
                    BusMessage.String(message, dimm.Id);
                    BusMessage.Int32(message, dimm.Slot ?? -1);
                    BusMessage.String(message, dimm.Kind);
                    BusMessage.UInt64(message, (ulong)dimm.Start);
                    BusMessage.UInt64(message, (ulong)dimm.Size);
                    BusMessage.Int32(message, dimm.Node ?? -1);
                    BusMessage.Strings(message, dimm.Zones);
                    BusMessage.String(message, dimm.State);
                    BusMessage.String(message, dimm.Readiness);
                    BusMessage.String(message, dimm.Reason);
                    BusMessage.Close(message);
                }

                BusMessage.Close(message);
                break;
        }

        BusMessage.Close(message);
    }

    private static void Reply(nint call, Action<nint> write)
    {
        BusMessage.Check(SdBusNative.sd_bus_message_new_method_return(call, out var reply), "new method return");
        try
        {
            write(reply);
            BusMessage.Check(SdBusNative.sd_bus_send(0, reply, 0), "send reply");
        }
        finally
        {
            SdBusNative.sd_bus_message_unref(reply);
        }
    }

    private static unsafe void ReplyError(nint call, string name, string text)
    {
        var error = new SdBusError { Name = Marshal.StringToCoTaskMemUTF8(name), Message = Marshal.StringToCoTaskMemUTF8(text) };
        try
        {
            BusMessage.Check(SdBusNative.sd_bus_message_new_method_error(call, out var reply, &error), "new method error");
            try
            {
                BusMessage.Check(SdBusNative.sd_bus_send(0, reply, 0), "send error");
            }
            finally
            {
                SdBusNative.sd_bus_message_unref(reply);
            }
        }
        finally
        {
            Marshal.FreeCoTaskMem(error.Name);
            Marshal.FreeCoTaskMem(error.Message);
        }
    }
}
