using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GuestAgent.Host.Libvirt;

/// <summary>
/// libvirt's default event loop, which delivers domain events: registered once per process before the first
/// connection and run on a background thread of its own. libvirt's habit of printing every error to stderr is turned
/// off here too (errors are read with <c>virGetLastErrorMessage</c> and reported once, in plain words).
/// </summary>
internal static unsafe class LibvirtEventLoop
{
    private static readonly Lock Gate = new();
    private static Thread? _thread;

    public static void EnsureStarted()
    {
        lock (Gate)
        {
            if (_thread is not null)
            {
                return;
            }

            LibvirtNative.virSetErrorFunc(IntPtr.Zero, &IgnoreError);
            if (LibvirtNative.virEventRegisterDefaultImpl() < 0)
            {
                throw new LibvirtException("cannot start libvirt's event loop: " + LibvirtNative.LastError());
            }

            _thread = new Thread(Run) { IsBackground = true, Name = "libvirt events" };
            _thread.Start();
        }
    }

    private static void Run()
    {
        while (true)
        {
            if (LibvirtNative.virEventRunDefaultImpl() < 0)
            {
                Thread.Sleep(100);
            }
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void IgnoreError(IntPtr userData, IntPtr error)
    {
    }
}
