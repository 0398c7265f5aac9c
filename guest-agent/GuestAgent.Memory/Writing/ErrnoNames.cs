using System.Globalization;

namespace GuestAgent.Memory.Writing;

/// <summary>Names and texts of <see cref="Errno"/> values: <c>EBUSY (Device or resource busy)</c>.</summary>
public static class ErrnoNames
{
    public static string Name(Errno errno) =>
        Enum.IsDefined(errno) ? errno switch
        {
            Errno.EPERM => "EPERM",
            Errno.ENOENT => "ENOENT",
            Errno.EINTR => "EINTR",
            Errno.EIO => "EIO",
            Errno.ENXIO => "ENXIO",
            Errno.EAGAIN => "EAGAIN",
            Errno.ENOMEM => "ENOMEM",
            Errno.EACCES => "EACCES",
            Errno.EBUSY => "EBUSY",
            Errno.ENODEV => "ENODEV",
            Errno.EISDIR => "EISDIR",
            Errno.EINVAL => "EINVAL",
            Errno.ENOSPC => "ENOSPC",
            Errno.EROFS => "EROFS",
            _ => "ETIMEDOUT",
        } : "errno " + ((int)errno).ToString(CultureInfo.InvariantCulture);

    public static string Text(Errno errno) => errno switch
    {
        Errno.EPERM => "Operation not permitted",
        Errno.ENOENT => "No such file or directory",
        Errno.EINTR => "Interrupted system call",
        Errno.EIO => "Input/output error",
        Errno.ENXIO => "No such device or address",
        Errno.EAGAIN => "Resource temporarily unavailable",
        Errno.ENOMEM => "Cannot allocate memory",
        Errno.EACCES => "Permission denied",
        Errno.EBUSY => "Device or resource busy",
        Errno.ENODEV => "No such device",
        Errno.EISDIR => "Is a directory",
        Errno.EINVAL => "Invalid argument",
        Errno.ENOSPC => "No space left on device",
        Errno.EROFS => "Read-only file system",
        Errno.ETIMEDOUT => "Connection timed out",
        _ => "unknown error",
    };

    /// <summary><c>EBUSY (Device or resource busy)</c>.</summary>
    public static string Describe(Errno errno) => $"{Name(errno)} ({Text(errno)})";
}
