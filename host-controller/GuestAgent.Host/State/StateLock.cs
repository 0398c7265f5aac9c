namespace GuestAgent.Host.State;

/// <summary>
/// One controller per VM: an exclusive lock on a file named after the VM (flock, through .NET's FileShare.None on
/// Linux), held for the whole command and released by the kernel if the process dies. It is keyed to the VM, not to
/// the socket or state file a controller was given, so controllers on two monitors of one VM exclude each other.
/// </summary>
public sealed class StateLock : IDisposable
{
    private readonly FileStream _file;

    private StateLock(FileStream file, string path)
    {
        _file = file;
        Path = path;
    }

    public string Path { get; }

    /// <summary>Takes the lock or throws <see cref="IOException"/> saying who to wait for.</summary>
    public static StateLock Acquire(string path, string vm)
    {
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new IOException($"cannot create the lock folder for {path}: permission denied (--lock-dir names another)", e);
        }

        try
        {
            return new StateLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None), path);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new IOException($"cannot open the lock {path}: permission denied (--lock-dir names another)", e);
        }
        catch (IOException e)
        {
            throw new IOException($"another guest-agent-host is acting on this VM ({vm}; it holds {path}); wait for it to finish (find it with: fuser {path})", e);
        }
    }

    public void Dispose() => _file.Dispose();
}
