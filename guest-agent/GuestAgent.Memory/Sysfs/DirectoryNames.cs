using System.Runtime.InteropServices;

namespace GuestAgent.Memory.Sysfs;

/// <summary>
/// The names in a directory as <c>readdir</c> gives them: bytes only, valid until the next one (no strings made,
/// nothing <c>stat</c>ed). A directory that cannot be opened has none. For <c>foreach</c>, which closes it at the end.
/// </summary>
internal unsafe ref struct DirectoryNames
{
    // struct dirent (glibc, 64-bit): d_ino 8, d_off 8, d_reclen 2, d_type 1, then d_name.
    private const int NameOffset = 19;

    private readonly nint _dir;

    public DirectoryNames(string path) => _dir = Native.Libc.OpenDir(path);

    public ReadOnlySpan<byte> Current { get; private set; }

    public readonly DirectoryNames GetEnumerator() => this;

    public bool MoveNext()
    {
        var entry = _dir == 0 ? 0 : Native.Libc.ReadDir(_dir);
        if (entry == 0)
        {
            return false;
        }

        Current = MemoryMarshal.CreateReadOnlySpanFromNullTerminated((byte*)entry + NameOffset);
        return true;
    }

    public readonly void Dispose()
    {
        if (_dir != 0)
        {
            _ = Native.Libc.CloseDir(_dir);
        }
    }
}
