using System.Globalization;
using Microsoft.Extensions.Logging;

namespace GuestAgent.Memory.Proc;

/// <summary>
/// Keeps the agent out of the OOM killer's reach while it offlines memory: its <c>oom_score_adj</c> goes to -1000
/// (never chosen) for the offline and back afterwards. The child that writes the offline raises its own score to 1000
/// instead, so if the guest does run out of memory the kernel kills the offline, which stops the migration and rolls
/// the block back, rather than a user's process or the agent. Lowering the score needs CAP_SYS_RESOURCE; without it
/// the agent keeps the score it has (the unit sets -900) and says so once.
/// </summary>
public sealed class OomProtection(ProcRoot root, ILogger logger)
{
    public const int Unkillable = -1000;

    private readonly Lock _lock = new();
    private int _holders;
    private string? _before;
    private bool _refusedLogged;

    /// <summary>Protects the agent until the returned scope is disposed; scopes nest.</summary>
    public IDisposable Protect()
    {
        lock (_lock)
        {
            if (_holders++ == 0)
            {
                _before = TryRead();
                if (_before is not null && _before != Unkillable.ToString(CultureInfo.InvariantCulture) && TryWrite(Unkillable.ToString(CultureInfo.InvariantCulture)) is { } problem)
                {
                    _before = null;
                    if (!_refusedLogged)
                    {
                        _refusedLogged = true;
                        logger.LogInformation("Cannot lower the agent's OOM score for offlining ({Reason}); it keeps its score", problem);
                    }
                }
            }
        }

        return new Scope(this);
    }

    private void Release()
    {
        lock (_lock)
        {
            if (--_holders == 0 && _before is { } before)
            {
                if (TryWrite(before) is { } problem)
                {
                    logger.LogWarning("Cannot restore the agent's OOM score to {Before}: {Reason}", before, problem);
                }

                _before = null;
            }
        }
    }

    private string? TryRead()
    {
        try
        {
            return File.ReadAllText(root.SelfOomScoreAdjust).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private string? TryWrite(string value)
    {
        try
        {
            File.WriteAllText(root.SelfOomScoreAdjust, value);
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return "permission denied: no CAP_SYS_RESOURCE";
        }
        catch (IOException e)
        {
            return e.Message;
        }
    }

    private sealed class Scope(OomProtection owner) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Release();
            }
        }
    }
}
