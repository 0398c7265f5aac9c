using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using GuestAgent.Host.Qmp;

using GuestAgent.Host.Hypervisor;

namespace GuestAgent.Host.Libvirt;

/// <summary>
/// One domain's device events from libvirt (<c>DEVICE_ADDED</c>, <c>DEVICE_REMOVED</c>, <c>DEVICE_REMOVAL_FAILED</c>,
/// <c>MEMORY_DEVICE_SIZE_CHANGE</c>), handed to every subscriber in order as events of QMP's shape
/// (<c>{alias}</c>, and <c>size</c> in bytes for the last). Registered for the life of the connection.
/// </summary>
internal sealed unsafe class LibvirtDomainEvents : IDisposable
{
    public const string DeviceAdded = "DEVICE_ADDED";
    public const string DeviceRemoved = "DEVICE_REMOVED";
    public const string DeviceRemovalFailed = "DEVICE_REMOVAL_FAILED";
    public const string MemoryDeviceSizeChange = "MEMORY_DEVICE_SIZE_CHANGE";

    private readonly IntPtr _connection;
    private readonly GCHandle _self;
    private readonly List<int> _callbacks = [];
    private readonly Lock _gate = new();
    private readonly List<HypervisorEventSubscription> _subscribers = [];

    public LibvirtDomainEvents(IntPtr connection, IntPtr domain)
    {
        _connection = connection;
        _self = GCHandle.Alloc(this);
        var opaque = GCHandle.ToIntPtr(_self);
        try
        {
            Register(domain, LibvirtNative.EventDeviceRemoved, (IntPtr)(delegate* unmanaged[Cdecl]<IntPtr, IntPtr, IntPtr, IntPtr, void>)&OnRemoved, opaque);
            Register(domain, LibvirtNative.EventDeviceAdded, (IntPtr)(delegate* unmanaged[Cdecl]<IntPtr, IntPtr, IntPtr, IntPtr, void>)&OnAdded, opaque);
            Register(domain, LibvirtNative.EventDeviceRemovalFailed, (IntPtr)(delegate* unmanaged[Cdecl]<IntPtr, IntPtr, IntPtr, IntPtr, void>)&OnRemovalFailed, opaque);
            // Since libvirt 7.9; older daemons refuse it, and then only virtio-mem's progress is not seen.
            TryRegister(domain, LibvirtNative.EventMemoryDeviceSizeChange, (IntPtr)(delegate* unmanaged[Cdecl]<IntPtr, IntPtr, IntPtr, ulong, IntPtr, void>)&OnSizeChange, opaque);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public HypervisorEventSubscription Subscribe()
    {
        HypervisorEventSubscription? subscription = null;
        subscription = new HypervisorEventSubscription(s =>
        {
            lock (_gate)
            {
                _subscribers.Remove(s);
            }
        });
        lock (_gate)
        {
            _subscribers.Add(subscription);
        }

        return subscription;
    }

    private void Register(IntPtr domain, int eventId, IntPtr callback, IntPtr opaque)
    {
        if (!TryRegister(domain, eventId, callback, opaque))
        {
            throw new LibvirtException("cannot subscribe to the domain's device events: " + LibvirtNative.LastError());
        }
    }

    private bool TryRegister(IntPtr domain, int eventId, IntPtr callback, IntPtr opaque)
    {
        var id = LibvirtNative.virConnectDomainEventRegisterAny(_connection, domain, eventId, callback, opaque, IntPtr.Zero);
        if (id < 0)
        {
            return false;
        }

        _callbacks.Add(id);
        return true;
    }

    private void Deliver(string name, JsonObject data)
    {
        var e = new HypervisorEvent(name, data, DateTimeOffset.UtcNow);
        lock (_gate)
        {
            foreach (var subscriber in _subscribers)
            {
                subscriber.Deliver(e);
            }
        }
    }

    private static void Deliver(IntPtr opaque, string name, IntPtr alias, ulong? size = null)
    {
        if (GCHandle.FromIntPtr(opaque).Target is not LibvirtDomainEvents events)
        {
            return;
        }

        var data = new JsonObject { ["alias"] = Marshal.PtrToStringUTF8(alias) };
        if (size is { } bytes)
        {
            data["size"] = bytes;
        }

        events.Deliver(name, data);
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnRemoved(IntPtr connection, IntPtr domain, IntPtr alias, IntPtr opaque) => Deliver(opaque, DeviceRemoved, alias);

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnAdded(IntPtr connection, IntPtr domain, IntPtr alias, IntPtr opaque) => Deliver(opaque, DeviceAdded, alias);

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnRemovalFailed(IntPtr connection, IntPtr domain, IntPtr alias, IntPtr opaque) => Deliver(opaque, DeviceRemovalFailed, alias);

    /// <summary>libvirt reports virtio-mem's size in KiB.</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnSizeChange(IntPtr connection, IntPtr domain, IntPtr alias, ulong sizeKiB, IntPtr opaque) => Deliver(opaque, MemoryDeviceSizeChange, alias, sizeKiB * 1024);

    public void Dispose()
    {
        foreach (var id in _callbacks)
        {
            _ = LibvirtNative.virConnectDomainEventDeregisterAny(_connection, id);
        }

        _callbacks.Clear();
        lock (_gate)
        {
            foreach (var subscriber in _subscribers)
            {
                subscriber.Complete();
            }

            _subscribers.Clear();
        }

        if (_self.IsAllocated)
        {
            _self.Free();
        }
    }
}
