namespace GuestAgent.Memory.Writing;

/// <summary>
/// The kernel's error numbers as the agent names them (Linux values). A value not listed still prints as its number;
/// <see cref="ErrnoNames"/> gives the names and the C-locale texts.
/// </summary>
public enum Errno
{
    EPERM = 1,
    ENOENT = 2,
    EINTR = 4,
    EIO = 5,
    ENXIO = 6,
    EAGAIN = 11,
    ENOMEM = 12,
    EACCES = 13,
    EBUSY = 16,
    ENODEV = 19,
    EISDIR = 21,
    EINVAL = 22,
    ENOSPC = 28,
    EROFS = 30,
    ETIMEDOUT = 110,
}
