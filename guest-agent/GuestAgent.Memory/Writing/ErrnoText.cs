using Mono.Unix.Native;

namespace GuestAgent.Memory.Writing;

/// <summary>Maps the C-locale <c>strerror</c> texts a child process prints back to errno values.</summary>
public static class ErrnoText
{
    private static readonly (string Text, Errno Errno)[] Known =
    [
        ("Operation not permitted", Errno.EPERM),
        ("No such file or directory", Errno.ENOENT),
        ("Interrupted system call", Errno.EINTR),
        ("Input/output error", Errno.EIO),
        ("No such device or address", Errno.ENXIO),
        ("Resource temporarily unavailable", Errno.EAGAIN),
        ("Cannot allocate memory", Errno.ENOMEM),
        ("Permission denied", Errno.EACCES),
        ("Device or resource busy", Errno.EBUSY),
        ("No such device", Errno.ENODEV),
        ("Is a directory", Errno.EISDIR),
        ("Invalid argument", Errno.EINVAL),
        ("No space left on device", Errno.ENOSPC),
        ("Read-only file system", Errno.EROFS),
    ];

    /// <summary>Finds the errno whose text ends a message like <c>dd: error writing '…': Device or resource busy</c>.</summary>
    public static Errno? FromMessage(string? message)
    {
        if (string.IsNullOrWhiteSpace(message))
        {
            return null;
        }

        var trimmed = message.TrimEnd();
        foreach (var (text, errno) in Known)
        {
            if (trimmed.EndsWith(text, StringComparison.Ordinal))
            {
                return errno;
            }
        }

        return null;
    }

    public static string Describe(Errno errno)
    {
        foreach (var (text, known) in Known)
        {
            if (known == errno)
            {
                return $"{errno} ({text})";
            }
        }

        return errno.ToString();
    }
}
