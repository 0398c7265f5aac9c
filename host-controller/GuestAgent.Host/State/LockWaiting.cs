using System.Text.Json;

namespace GuestAgent.Host.State;

/// <summary>
/// A person's command waiting for a VM whose lock or monitor an autoscaler's step has: it says so in
/// <c>VM.lock.waiting</c> (who, as a <see cref="LockHolder"/>), and the autoscaler starts no new step, and lets go of
/// the agent's channel, while a live process is named there. Removed when the waiter has the lock (or gives up); one
/// left by a process that died names nobody.
/// </summary>
public sealed class LockWaiting : IDisposable
{
    private readonly string _path;

    private LockWaiting(string path) => _path = path;

    public static string PathOf(string lockPath) => lockPath + ".waiting";

    /// <summary>Says that <paramref name="waiter"/> waits for the lock at <paramref name="lockPath"/>.</summary>
    public static LockWaiting Announce(string lockPath, LockHolder waiter)
    {
        var path = PathOf(lockPath);
        try
        {
            var temporary = path + ".new";
            File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(waiter, StateJsonContext.Default.LockHolder));
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The autoscaler then only yields once this command has the lock.
        }

        return new LockWaiting(path);
    }

    /// <summary>The live process waiting for the lock at <paramref name="lockPath"/>, if any.</summary>
    public static LockHolder? Read(string lockPath)
    {
        try
        {
            var waiter = JsonSerializer.Deserialize(File.ReadAllBytes(PathOf(lockPath)), StateJsonContext.Default.LockHolder);
            return waiter is not null && (waiter.Pid == Environment.ProcessId || Directory.Exists($"/proc/{waiter.Pid}")) ? waiter : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        try
        {
            File.Delete(_path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A stale file names a process that is gone; readers check that.
        }
    }
}
