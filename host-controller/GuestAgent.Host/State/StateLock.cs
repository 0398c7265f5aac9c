namespace GuestAgent.Host.State;

/// <summary>
/// One controller per VM: an exclusive lock on <c>STATE.lock</c> (flock, through .NET's FileShare.None on Linux), held
/// for the whole command and released by the kernel if the process dies.
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
    public static StateLock Acquire(string statePath)
    {
        var path = statePath + ".lock";
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        try
        {
            return new StateLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None), path);
        }
        catch (IOException e)
        {
            throw new IOException($"another guest-agent-host is acting on this VM (it holds {path}); wait for it to finish (find it with: fuser {path})", e);
        }
    }

    public void Dispose() => _file.Dispose();
}
