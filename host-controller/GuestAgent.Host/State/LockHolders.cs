using System.Text.Json;

namespace GuestAgent.Host.State;

/// <summary>Reads who holds VMs' locks (<see cref="LockHolder"/>), keeping only holders whose process still runs.</summary>
public static class LockHolders
{
    /// <summary>The holder recorded at <paramref name="holderPath"/>, when its process still runs.</summary>
    public static LockHolder? Read(string holderPath)
    {
        try
        {
            var holder = JsonSerializer.Deserialize(File.ReadAllBytes(holderPath), StateJsonContext.Default.LockHolder);
            return holder is not null && IsRunning(holder.Pid) && IsHeld(holderPath[..^".holder".Length]) ? holder : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    /// <summary>The running holders of any lock in <paramref name="lockDirectory"/> that <paramref name="match"/> accepts.</summary>
    public static IReadOnlyList<LockHolder> Find(string lockDirectory, Func<LockHolder, bool> match)
    {
        try
        {
            return Directory.EnumerateFiles(lockDirectory, "*.lock.holder").Select(Read).OfType<LockHolder>().Where(match).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>The running holder that has the QMP socket <paramref name="monitor"/>, if any.</summary>
    public static LockHolder? UsingMonitor(string lockDirectory, string monitor) =>
        Find(lockDirectory, h => h.Monitor == monitor).FirstOrDefault();

    /// <summary>The running holder that has the agent channel <paramref name="agent"/>, if any.</summary>
    public static LockHolder? UsingAgent(string lockDirectory, string agent) =>
        Find(lockDirectory, h => h.Agent == agent).FirstOrDefault();

    private static bool IsRunning(int pid) => pid == Environment.ProcessId || Directory.Exists($"/proc/{pid}");

    /// <summary>
    /// Whether someone holds the lock: a holder file a killed process left (or whose pid was reused) names nobody. The
    /// probe takes the lock for an instant when it is free, which <see cref="StateLock.TryAcquire"/> allows for.
    /// </summary>
    private static bool IsHeld(string lockPath)
    {
        try
        {
            using var probe = new FileStream(lockPath, FileMode.Open, FileAccess.Read, FileShare.None);
            return false;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true;
        }
    }
}
