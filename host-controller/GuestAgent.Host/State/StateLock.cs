using System.Text.Json;

namespace GuestAgent.Host.State;

/// <summary>
/// One controller per VM: an exclusive lock on a file named after the VM (flock, through .NET's FileShare.None on
/// Linux), held for the whole command and released by the kernel if the process dies. It is keyed to the VM, not to
/// the socket or state file a controller was given, so controllers on two monitors of one VM exclude each other.
/// Its holder says who it is in <c>VM.lock.holder</c> (see <see cref="LockHolder"/>).
/// </summary>
public sealed class StateLock : IDisposable
{
    private readonly FileStream _file;
    private readonly string _holderPath;

    private StateLock(FileStream file, string path)
    {
        _file = file;
        Path = path;
        _holderPath = HolderPath(path);
    }

    public string Path { get; }

    public static string HolderPath(string lockPath) => lockPath + ".holder";

    /// <summary>Takes the lock or throws <see cref="IOException"/> saying who to wait for.</summary>
    public static StateLock Acquire(string path, string vm, LockHolder holder) =>
        TryAcquire(path, holder) ?? throw new IOException(
            $"another guest-agent-host is acting on this VM ({vm}): {LockHolders.Read(HolderPath(path))?.Describe() ?? "a process"} holds {path}; wait for it to finish");

    /// <summary>Takes the lock, or returns null when another process holds it.</summary>
    public static StateLock? TryAcquire(string path, LockHolder holder)
    {
        var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        StateFolders.Create(folder, "lock folder", "--lock-dir");
        FileStream file;
        try
        {
            file = Open(path);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new IOException($"cannot open the lock {path}: permission denied (--lock-dir names another folder)", e);
        }
        catch (IOException) when (File.Exists(path))
        {
            return null;
        }
        catch (IOException e)
        {
            throw new IOException($"cannot open the lock {path}: {StateFolders.Plain(e)} (--lock-dir names another folder)", e);
        }

        var taken = new StateLock(file, path);
        taken.WriteHolder(holder);
        return taken;
    }

    /// <summary>Opens it exclusively; a lock that is busy for a moment only (another's probe, see <see cref="LockHolders"/>) is tried again.</summary>
    private static FileStream Open(string path)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (attempt < 5 && File.Exists(path) && LockHolders.Read(HolderPath(path)) is null)
            {
                Thread.Sleep(10);
            }
        }
    }

    private void WriteHolder(LockHolder holder)
    {
        try
        {
            var temporary = _holderPath + ".new";
            File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(holder, StateJsonContext.Default.LockHolder));
            File.Move(temporary, _holderPath, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only others' messages lose a name: the lock itself is what excludes them.
        }
    }

    public void Dispose()
    {
        try
        {
            File.Delete(_holderPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A stale holder file names a process that is gone; readers check that.
        }

        _file.Dispose();
    }
}
