using System.Runtime.InteropServices;

namespace GuestAgent.DBus;

/// <summary>
/// The part of libsystemd's sd-bus (libsystemd.so.0, on every systemd guest) the agent uses. Only non-variadic calls:
/// messages are built and read one basic value or container at a time.
/// </summary>
internal static unsafe partial class SdBusNative
{
    private const string Library = "libsystemd.so.0";

    /// <summary>SD_BUS_CREDS_UID and SD_BUS_CREDS_EUID (sd-bus.h).</summary>
    public const ulong CredsUidAndEuid = (1UL << 3) | (1UL << 4);

    [LibraryImport(Library)]
    public static partial int sd_bus_open_system(out nint bus);

    [LibraryImport(Library)]
    public static partial int sd_bus_new(out nint bus);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int sd_bus_set_address(nint bus, string address);

    [LibraryImport(Library)]
    public static partial int sd_bus_set_bus_client(nint bus, int client);

    [LibraryImport(Library)]
    public static partial int sd_bus_start(nint bus);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int sd_bus_request_name(nint bus, string name, ulong flags);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int sd_bus_add_object(nint bus, out nint slot, string path, delegate* unmanaged<nint, nint, nint, int> callback, nint userdata);

    [LibraryImport(Library)]
    public static partial nint sd_bus_slot_unref(nint slot);

    [LibraryImport(Library)]
    public static partial int sd_bus_get_fd(nint bus);

    [LibraryImport(Library)]
    public static partial int sd_bus_get_events(nint bus);

    [LibraryImport(Library)]
    public static partial int sd_bus_get_timeout(nint bus, out ulong timeoutUsec);

    [LibraryImport(Library)]
    public static partial int sd_bus_process(nint bus, nint ret);

    [LibraryImport(Library)]
    public static partial int sd_bus_flush(nint bus);

    [LibraryImport(Library)]
    public static partial nint sd_bus_flush_close_unref(nint bus);

    [LibraryImport(Library)]
    public static partial int sd_bus_send(nint bus, nint message, nint cookie);

    [LibraryImport(Library)]
    public static partial nint sd_bus_message_ref(nint message);

    [LibraryImport(Library)]
    public static partial nint sd_bus_message_unref(nint message);

    [LibraryImport(Library)]
    public static partial nint sd_bus_message_get_interface(nint message);

    [LibraryImport(Library)]
    public static partial nint sd_bus_message_get_member(nint message);

    [LibraryImport(Library)]
    public static partial nint sd_bus_message_get_signature(nint message, int complete);

    [LibraryImport(Library)]
    public static partial int sd_bus_message_read_basic(nint message, byte type, void* value);

    [LibraryImport(Library)]
    public static partial int sd_bus_message_new_method_return(nint call, out nint reply);

    [LibraryImport(Library)]
    public static partial int sd_bus_message_new_method_error(nint call, out nint reply, SdBusError* error);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int sd_bus_message_new_signal(nint bus, out nint message, string path, string @interface, string member);

    [LibraryImport(Library)]
    public static partial int sd_bus_message_append_basic(nint message, byte type, void* value);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int sd_bus_message_open_container(nint message, byte type, string contents);

    [LibraryImport(Library)]
    public static partial int sd_bus_message_close_container(nint message);

    [LibraryImport(Library)]
    public static partial int sd_bus_query_sender_creds(nint call, ulong mask, out nint creds);

    [LibraryImport(Library)]
    public static partial int sd_bus_creds_get_euid(nint creds, out uint uid);

    [LibraryImport(Library)]
    public static partial int sd_bus_creds_get_uid(nint creds, out uint uid);

    [LibraryImport(Library)]
    public static partial nint sd_bus_creds_unref(nint creds);
}
