using System.Globalization;
using System.Runtime.InteropServices;
using GuestAgent.Host.Qmp;

using GuestAgent.Host.Hypervisor;

namespace GuestAgent.Host.Libvirt;

/// <summary>
/// A connection to libvirt and one running domain on it: the typed calls the controller makes (its XML, attach,
/// detach by alias, update) and its device events. Every call blocks in libvirt, so each runs off the caller's
/// thread; a failure is a <see cref="LibvirtException"/> with libvirt's own message.
/// </summary>
public sealed unsafe class LibvirtDomain : IAsyncDisposable
{
    private readonly IntPtr _connection;
    private readonly IntPtr _domain;
    private readonly LibvirtDomainEvents _events;

    private LibvirtDomain(IntPtr connection, IntPtr domain, string uri)
    {
        _connection = connection;
        _domain = domain;
        Uri = uri;
        Name = Marshal.PtrToStringUTF8(LibvirtNative.virDomainGetName(domain)) ?? "";
        var uuid = stackalloc byte[LibvirtNative.UuidStringLength];
        Uuid = LibvirtNative.virDomainGetUUIDString(domain, uuid) == 0 ? Marshal.PtrToStringUTF8((IntPtr)uuid) : null;
        Version = LibvirtNative.virConnectGetLibVersion(connection, out var version) == 0 ? FormatVersion(version) : "?";
        _events = new LibvirtDomainEvents(connection, domain);
    }

    public string Uri { get; }

    public string Name { get; }

    public string? Uuid { get; }

    /// <summary>The libvirt library's version (<c>9.0.0</c>).</summary>
    public string Version { get; }

    /// <summary>Connects to <paramref name="uri"/> and finds the domain by UUID or name; it must be running.</summary>
    public static Task<LibvirtDomain> OpenAsync(string uri, string domain, CancellationToken cancellationToken) => Task.Run(() =>
    {
        try
        {
            LibvirtEventLoop.EnsureStarted();
        }
        catch (DllNotFoundException e)
        {
            throw new LibvirtException($"libvirt is not installed here (libvirt.so.0 cannot be loaded: {e.Message})", e);
        }

        var connection = LibvirtNative.virConnectOpen(uri);
        if (connection == IntPtr.Zero)
        {
            throw new LibvirtException($"cannot connect to libvirt at {uri}: {LibvirtNative.LastError()}");
        }

        var handle = Guid.TryParse(domain, out _) ? LibvirtNative.virDomainLookupByUUIDString(connection, domain) : LibvirtNative.virDomainLookupByName(connection, domain);
        if (handle == IntPtr.Zero)
        {
            var why = LibvirtNative.LastError();
            _ = LibvirtNative.virConnectClose(connection);
            throw new LibvirtException($"no domain '{domain}' at {uri}: {why}");
        }

        if (LibvirtNative.virDomainIsActive(handle) != 1)
        {
            var migrated = LibvirtNative.virDomainGetState(handle, out var state, out var reason, 0) == 0
                           && state == LibvirtNative.StateShutoff && reason == LibvirtNative.ShutoffMigrated;
            _ = LibvirtNative.virDomainFree(handle);
            _ = LibvirtNative.virConnectClose(connection);
            throw new LibvirtException(migrated
                ? $"the domain '{domain}' has migrated away from {uri} (libvirt's state: shut off, migrated): change its memory through the destination's libvirt (--connect)"
                : $"the domain '{domain}' is not running (memory is plugged into a running domain; start it first)");
        }

        try
        {
            return new LibvirtDomain(connection, handle, uri);
        }
        catch
        {
            _ = LibvirtNative.virDomainFree(handle);
            _ = LibvirtNative.virConnectClose(connection);
            throw;
        }
    }, cancellationToken);

    /// <summary>The live XML, or with <paramref name="persistent"/> the definition the domain boots with next.</summary>
    public Task<string> XmlAsync(bool persistent, CancellationToken cancellationToken) => Task.Run(
        () => LibvirtNative.TakeString(LibvirtNative.virDomainGetXMLDesc(_domain, persistent ? LibvirtNative.XmlInactive : 0))
              ?? throw new LibvirtException($"cannot read the XML of domain {Name}: {LibvirtNative.LastError()}"),
        cancellationToken);

    public Task AttachAsync(string deviceXml, bool persistent, CancellationToken cancellationToken) => Task.Run(
        () => Check(LibvirtNative.virDomainAttachDeviceFlags(_domain, deviceXml, Flags(persistent))),
        cancellationToken);

    /// <summary>Asks for the removal; libvirt returns after about 5 s whether or not the guest has let go (the outcome is an event).</summary>
    public Task DetachAsync(string alias, bool persistent, CancellationToken cancellationToken) => Task.Run(
        () => Check(LibvirtNative.virDomainDetachDeviceAlias(_domain, alias, Flags(persistent))),
        cancellationToken);

    public Task UpdateAsync(string deviceXml, bool persistent, CancellationToken cancellationToken) => Task.Run(
        () => Check(LibvirtNative.virDomainUpdateDeviceFlags(_domain, deviceXml, Flags(persistent))),
        cancellationToken);

    /// <summary>The domain's state and its reason (<c>virDomainGetState</c>).</summary>
    public Task<(int State, int Reason)> StateAsync(CancellationToken cancellationToken) => Task.Run(
        () => LibvirtNative.virDomainGetState(_domain, out var state, out var reason, 0) == 0
            ? (state, reason)
            : throw new LibvirtException($"cannot read the state of domain {Name}: {LibvirtNative.LastError()}"),
        cancellationToken);

    /// <summary>The domain's job now (<c>virDomainGetJobStats</c>): its type and, when libvirt says, its operation (a migration in or out…).</summary>
    public Task<(int Type, int? Operation)> JobAsync(CancellationToken cancellationToken) => Task.Run(() =>
    {
        if (LibvirtNative.virDomainGetJobStats(_domain, out var type, out var parameters, out var count, 0) < 0)
        {
            throw new LibvirtException($"cannot read the job of domain {Name}: {LibvirtNative.LastError()}");
        }

        try
        {
            int? operation = null;
            for (var i = 0; i < count; i++)
            {
                var entry = parameters + (i * LibvirtNative.TypedParameterSize);
                if (Marshal.PtrToStringUTF8(entry) == "operation")
                {
                    operation = Marshal.ReadInt32(entry + LibvirtNative.TypedParameterFieldLength + 8);
                }
            }

            return (type, operation);
        }
        finally
        {
            LibvirtNative.virTypedParamsFree(parameters, count);
        }
    }, cancellationToken);

    /// <summary>The domain's device events from now on.</summary>
    public HypervisorEventSubscription Subscribe() => _events.Subscribe();

    private static uint Flags(bool persistent) => LibvirtNative.AffectLive | (persistent ? LibvirtNative.AffectConfig : 0);

    private static void Check(int result)
    {
        if (result < 0)
        {
            throw new LibvirtException(LibvirtNative.LastError());
        }
    }

    private static string FormatVersion(ulong version) =>
        string.Create(CultureInfo.InvariantCulture, $"{version / 1_000_000}.{version / 1000 % 1000}.{version % 1000}");

    public ValueTask DisposeAsync()
    {
        _events.Dispose();
        _ = LibvirtNative.virDomainFree(_domain);
        _ = LibvirtNative.virConnectClose(_connection);
        return ValueTask.CompletedTask;
    }
}
