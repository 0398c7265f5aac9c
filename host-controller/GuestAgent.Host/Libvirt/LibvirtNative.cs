using System.Runtime.InteropServices;

namespace GuestAgent.Host.Libvirt;

/// <summary>
/// The part of libvirt's C API (<c>libvirt.so.0</c>, Debian's and RHEL's <c>libvirt0</c>/<c>libvirt-libs</c>) the
/// controller calls, and nothing more. Loaded on first use: a controller on bare QEMU never needs libvirt installed.
/// Pointers returned as <c>char*</c> that libvirt allocates are freed with libc's <c>free</c>.
/// </summary>
internal static unsafe partial class LibvirtNative
{
    private const string Library = "libvirt.so.0";

    /// <summary><c>VIR_DOMAIN_AFFECT_LIVE</c>, <c>VIR_DOMAIN_AFFECT_CONFIG</c>.</summary>
    public const uint AffectLive = 1, AffectConfig = 2;

    /// <summary><c>VIR_DOMAIN_XML_INACTIVE</c>: the persistent definition.</summary>
    public const uint XmlInactive = 2;

    /// <summary><c>VIR_DOMAIN_EVENT_ID_*</c>.</summary>
    public const int EventDeviceRemoved = 15, EventDeviceAdded = 19, EventDeviceRemovalFailed = 22, EventMemoryDeviceSizeChange = 26;

    /// <summary><c>VIR_UUID_STRING_BUFLEN</c>.</summary>
    public const int UuidStringLength = 37;

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr virConnectOpen(string? name);

    [LibraryImport(Library)]
    public static partial int virConnectClose(IntPtr connection);

    [LibraryImport(Library)]
    public static partial int virConnectGetLibVersion(IntPtr connection, out ulong version);

    [LibraryImport(Library)]
    public static partial int virConnectGetVersion(IntPtr connection, out ulong version);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr virDomainLookupByName(IntPtr connection, string name);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr virDomainLookupByUUIDString(IntPtr connection, string uuid);

    [LibraryImport(Library)]
    public static partial int virDomainFree(IntPtr domain);

    [LibraryImport(Library)]
    public static partial int virDomainIsActive(IntPtr domain);

    [LibraryImport(Library)]
    public static partial IntPtr virDomainGetName(IntPtr domain);

    [LibraryImport(Library)]
    public static partial int virDomainGetUUIDString(IntPtr domain, byte* buffer);

    [LibraryImport(Library)]
    public static partial IntPtr virDomainGetXMLDesc(IntPtr domain, uint flags);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int virDomainAttachDeviceFlags(IntPtr domain, string xml, uint flags);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int virDomainDetachDeviceAlias(IntPtr domain, string alias, uint flags);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int virDomainUpdateDeviceFlags(IntPtr domain, string xml, uint flags);

    /// <summary><c>virDomainState</c> values and the reasons this controller tells apart.</summary>
    public const int StateRunning = 1, StatePaused = 3, StateShutoff = 5;

    /// <summary><c>VIR_DOMAIN_PAUSED_MIGRATION</c>, <c>VIR_DOMAIN_SHUTOFF_MIGRATED</c>, <c>VIR_DOMAIN_RUNNING_MIGRATED</c>.</summary>
    public const int PausedMigration = 2, ShutoffMigrated = 5, RunningMigrated = 3;

    /// <summary><c>VIR_DOMAIN_JOB_NONE</c> … <c>VIR_DOMAIN_JOB_CANCELLED</c>: 0, 1 bounded, 2 unbounded (running), 3 completed, 4 failed, 5 cancelled.</summary>
    public const int JobBounded = 1, JobUnbounded = 2;

    /// <summary><c>VIR_DOMAIN_JOB_OPERATION_MIGRATION_IN</c>, <c>_OUT</c>.</summary>
    public const int OperationMigrationIn = 4, OperationMigrationOut = 5;

    /// <summary><c>virTypedParameter</c>: field[80], int type, an 8-byte union.</summary>
    public const int TypedParameterSize = 96, TypedParameterFieldLength = 80;

    [LibraryImport(Library)]
    public static partial int virDomainGetState(IntPtr domain, out int state, out int reason, uint flags);

    [LibraryImport(Library)]
    public static partial int virDomainGetJobStats(IntPtr domain, out int type, out IntPtr parameters, out int count, uint flags);

    [LibraryImport(Library)]
    public static partial void virTypedParamsFree(IntPtr parameters, int count);

    [LibraryImport(Library)]
    public static partial IntPtr virGetLastErrorMessage();

    [LibraryImport(Library)]
    public static partial void virSetErrorFunc(IntPtr userData, delegate* unmanaged[Cdecl]<IntPtr, IntPtr, void> handler);

    [LibraryImport(Library)]
    public static partial int virEventRegisterDefaultImpl();

    [LibraryImport(Library)]
    public static partial int virEventRunDefaultImpl();

    [LibraryImport(Library)]
    public static partial int virEventAddTimeout(int frequencyMs, delegate* unmanaged[Cdecl]<int, IntPtr, void> callback, IntPtr opaque, IntPtr free);

    [LibraryImport(Library)]
    public static partial int virConnectDomainEventRegisterAny(IntPtr connection, IntPtr domain, int eventId, IntPtr callback, IntPtr opaque, IntPtr free);

    [LibraryImport(Library)]
    public static partial int virConnectDomainEventDeregisterAny(IntPtr connection, int callbackId);

    [LibraryImport("libc", EntryPoint = "free")]
    public static partial void Free(IntPtr pointer);

    /// <summary>libvirt's message for the last failure on this thread.</summary>
    public static string LastError() => Marshal.PtrToStringUTF8(virGetLastErrorMessage()) ?? "unknown libvirt error";

    /// <summary>A string libvirt allocated, freed after reading; null for a null pointer.</summary>
    public static string? TakeString(IntPtr pointer)
    {
        if (pointer == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(pointer);
        }
        finally
        {
            Free(pointer);
        }
    }
}
