using System.Runtime.InteropServices;
using System.Text;

namespace GuestAgent.Memory.Sysfs;

/// <summary>
/// Thin libc calls for reading sysfs fast: a 65,536-block model means a few hundred thousand small reads, and
/// <see cref="File"/> and <see cref="Directory"/> cost several times more (long path walks on every open, a
/// <c>stat</c> for every symbolic link listed, managed streams). Reads go relative to an open directory
/// (<c>openat</c>), listings return names only (<c>readdir</c>), links are read with <c>readlinkat</c>.
/// </summary>
internal static unsafe class LibcFile
{
    private const int OpenReadOnly = Native.Libc.OpenReadOnly;
    private const int OpenDirectory = Native.Libc.OpenDirectory;
    private const int OpenCloseOnExec = Native.Libc.OpenCloseOnExec;
    private const int AtFdCwd = Native.Libc.AtFdCwd;
    private const int Enoent = (int)Writing.Errno.ENOENT;
    private const int Eintr = (int)Writing.Errno.EINTR;

    /// <summary>The largest attribute read: sysfs attributes are at most one page, and the ones read here are far smaller.</summary>
    public const int TextBufferSize = 512;

    public static bool IsNotFound(int errno) => errno == Enoent;

    /// <summary>Opens a directory for <see cref="TryReadTextAt"/>; returns -1 and sets <paramref name="errno"/> on failure.</summary>
    public static int OpenDirectoryAt(int parentFd, string name, out int errno)
    {
        int fd;
        do
        {
            fd = Native.Libc.OpenAt(parentFd, name, OpenReadOnly | OpenDirectory | OpenCloseOnExec);
            errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        }
        while (fd < 0 && errno == Eintr);

        return fd;
    }

    public static int OpenDirectoryPath(string path, out int errno) => OpenDirectoryAt(AtFdCwd, path, out errno);

    public static void CloseFd(int fd)
    {
        if (fd >= 0)
        {
            _ = Native.Libc.Close(fd);
        }
    }

    /// <summary>Reads a whole small file, trimmed; null (with <paramref name="errno"/>) when it cannot.</summary>
    public static string? TryReadText(string path, out int errno) => TryReadTextAt(AtFdCwd, path, out errno);

    /// <summary>Reads a small file relative to an open directory, trimmed; null (with <paramref name="errno"/>) when it cannot.</summary>
    public static string? TryReadTextAt(int directoryFd, string name, out int errno)
    {
        byte* buffer = stackalloc byte[TextBufferSize];
        var length = TryReadAt(directoryFd, name, buffer, TextBufferSize, out errno);
        return length < 0 ? null : KnownText.Get(new ReadOnlySpan<byte>(buffer, length).Trim(" \t\r\n\0"u8));
    }

    /// <summary>
    /// Reads <c>memoryN/ATTRIBUTE</c> relative to the open memory directory, building the path as bytes on the stack:
    /// the hot path of a large model, with no string made but the value.
    /// </summary>
    public static string? TryReadBlockAttribute(int memoryFd, int blockId, ReadOnlySpan<byte> attribute, out int errno)
    {
        Span<byte> path = stackalloc byte[64];
        var length = 0;
        "memory"u8.CopyTo(path);
        length += 6;
        blockId.TryFormat(path[length..], out var digits, default, System.Globalization.CultureInfo.InvariantCulture);
        length += digits;
        path[length++] = (byte)'/';
        attribute.CopyTo(path[length..]);
        length += attribute.Length;
        path[length] = 0;

        byte* buffer = stackalloc byte[TextBufferSize];
        int read;
        fixed (byte* pathPointer = path)
        {
            read = TryReadAt(memoryFd, pathPointer, buffer, TextBufferSize, out errno);
        }

        return read < 0 ? null : KnownText.Get(new ReadOnlySpan<byte>(buffer, read).Trim(" \t\r\n\0"u8));
    }

    /// <summary>The N of every <c>memoryN</c> entry in a directory, parsed from the entry bytes (no strings, no <c>stat</c>).</summary>
    public static List<int> ListBlockIds(string path)
    {
        var ids = new List<int>();
        foreach (var name in new DirectoryNames(path))
        {
            if (name.Length > 6 && name.Length <= 15 && name.StartsWith("memory"u8)
                && System.Buffers.Text.Utf8Parser.TryParse(name[6..], out int id, out var consumed) && consumed == name.Length - 6 && id >= 0)
            {
                ids.Add(id);
            }
        }

        return ids;
    }

    /// <summary>Names in a directory that start with <paramref name="prefix"/>, without <c>stat</c>ing anything.</summary>
    public static List<string> ListNames(string path, string prefix)
    {
        var names = new List<string>();
        Span<byte> prefixBytes = stackalloc byte[Encoding.UTF8.GetMaxByteCount(prefix.Length)];
        prefixBytes = prefixBytes[..Encoding.UTF8.GetBytes(prefix, prefixBytes)];
        foreach (var name in new DirectoryNames(path))
        {
            if (name.StartsWith(prefixBytes))
            {
                names.Add(Encoding.UTF8.GetString(name));
            }
        }

        return names;
    }

    /// <summary>How many names in a directory start with <paramref name="prefix"/> (no strings made, nothing <c>stat</c>ed).</summary>
    public static int CountNames(string path, ReadOnlySpan<byte> prefix)
    {
        var count = 0;
        foreach (var name in new DirectoryNames(path))
        {
            if (name.StartsWith(prefix))
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>The target of a symbolic link relative to an open directory, or null.</summary>
    public static string? ReadLinkAt(int directoryFd, string name)
    {
        byte* buffer = stackalloc byte[1024];
        var length = Native.Libc.ReadLinkAt(directoryFd, name, buffer, 1024);
        return length <= 0 ? null : Encoding.UTF8.GetString(buffer, (int)length);
    }

    private static int TryReadAt(int directoryFd, string name, byte* buffer, int size, out int errno)
    {
        var count = Encoding.UTF8.GetByteCount(name);
        Span<byte> path = count < 512 ? stackalloc byte[count + 1] : new byte[count + 1];
        Encoding.UTF8.GetBytes(name, path);
        path[count] = 0;
        fixed (byte* pathPointer = path)
        {
            return TryReadAt(directoryFd, pathPointer, buffer, size, out errno);
        }
    }

    private static int TryReadAt(int directoryFd, byte* path, byte* buffer, int size, out int errno)
    {
        int fd;
        do
        {
            fd = Native.Libc.OpenAt(directoryFd, path, OpenReadOnly | OpenCloseOnExec);
            errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        }
        while (fd < 0 && errno == Eintr);

        if (fd < 0)
        {
            return -1;
        }

        try
        {
            var total = 0;
            while (total < size)
            {
                var n = Native.Libc.Read(fd, buffer + total, size - total);
                if (n < 0)
                {
                    errno = Marshal.GetLastPInvokeError();
                    if (errno == Eintr)
                    {
                        continue;
                    }

                    return -1;
                }

                total += (int)n;

                // Sysfs produces an attribute whole on the first read: a read that does not fill the buffer got all
                // of it, and reading again only to see end-of-file would be one more system call per attribute.
                if (n == 0 || total < size)
                {
                    break;
                }
            }

            return total;
        }
        finally
        {
            _ = Native.Libc.Close(fd);
        }
    }
}
