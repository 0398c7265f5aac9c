using System.Runtime.InteropServices;

namespace GuestAgent.Memory.Native;

/// <summary>
/// Every C library call the memory core makes, in one place and one style (source-generated <c>LibraryImport</c>,
/// NativeAOT-clean): the sysfs reads of a 65,536-block model need <c>openat</c> on byte paths and <c>readdir</c>
/// without strings, the uevent listener a netlink socket, and the state writer one <c>open</c> and one <c>write</c>
/// whose errno reaches the caller unchanged.
/// </summary>
internal static unsafe partial class Libc
{
    public const int OpenReadOnly = 0;
    public const int OpenWriteOnly = 1;
    public const int OpenTruncate = 0x200;
    public const int OpenDirectory = 0x10000;
    public const int OpenCloseOnExec = 0x80000;
    public const int AtFdCwd = -100;

    public static int LastError => Marshal.GetLastPInvokeError();

    [LibraryImport("libc", EntryPoint = "openat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int OpenAt(int directoryFd, string path, int flags);

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true)]
    public static partial int OpenAt(int directoryFd, byte* path, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "close")]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "opendir", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial nint OpenDir(string path);

    [LibraryImport("libc", EntryPoint = "readdir")]
    public static partial nint ReadDir(nint dir);

    [LibraryImport("libc", EntryPoint = "closedir")]
    public static partial int CloseDir(nint dir);

    [LibraryImport("libc", EntryPoint = "readlinkat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial nint ReadLinkAt(int directoryFd, string path, byte* buffer, nint size);

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(int fd, ref SockaddrNl address, int length);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(int fd, int level, int name, ref int value, int length);
}
