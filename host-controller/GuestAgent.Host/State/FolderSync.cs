using System.Runtime.InteropServices;

namespace GuestAgent.Host.State;

/// <summary>fsync of a folder, so that a rename in it is on disk (.NET cannot open a folder as a file).</summary>
internal static partial class FolderSync
{
    private const int OpenReadOnly = 0;
    private const int OpenDirectory = 0x10000;
    private const int OpenCloseOnExec = 0x80000;

    /// <summary>Best effort: a folder that cannot be opened or synced is left as the file system has it.</summary>
    public static void Flush(string folder)
    {
        var fd = Open(folder, OpenReadOnly | OpenDirectory | OpenCloseOnExec);
        if (fd >= 0)
        {
            _ = FileSync(fd);
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FileSync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
