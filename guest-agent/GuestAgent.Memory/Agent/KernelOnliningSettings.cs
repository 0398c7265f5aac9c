using GuestAgent.Memory.Model;
using GuestAgent.Memory.Policy;
using GuestAgent.Memory.Writing;
using Microsoft.Extensions.Logging;

namespace GuestAgent.Memory.Agent;

/// <summary>
/// What else onlines memory, kept in step with the agent's policy while it runs:
/// <list type="bullet">
/// <item>the kernel's own onlining as the fast path: with policy <c>movable</c>, <c>auto_online_blocks</c> is
/// <c>online_movable</c>, so hot-added blocks are Movable before any uevent is handled (and before a distribution's
/// udev rule can online them into the kernel zone); only for <c>movable</c>, since the kernel cannot apply the other
/// policies' per-DIMM decisions. The previous value comes back when the agent stops or the policy changes; a kernel
/// that refuses the value is noted once. The previous value is also kept in the runtime directory, so that an agent
/// restarted after a crash (systemd keeps the directory across restarts) still knows it instead of taking its
/// predecessor's <c>online_movable</c> for the administrator's choice.</item>
/// <item>the udev drop-in's marker: the state word the policy picks for new memory, in the runtime directory; absent
/// while the policy is <c>none</c> and after the agent stops.</item>
/// </list>
/// </summary>
public sealed class KernelOnliningSettings(IBlockStateWriter writer, string runtimeDirectory, bool manageAutoOnline, ILogger logger)
{
    /// <summary>The file the udev drop-in reads.</summary>
    public const string MarkerFileName = "onlining-active";

    /// <summary>The value <c>auto_online_blocks</c> had before an agent set it, while one has it set.</summary>
    public const string AutoOnlineBeforeFileName = "auto-online-before";

    private const string OnlineMovable = "online_movable";

    private readonly Lock _lock = new();
    private readonly string _markerPath = Path.Combine(runtimeDirectory, MarkerFileName);
    private readonly string _beforePath = Path.Combine(runtimeDirectory, AutoOnlineBeforeFileName);
    private string? _markerWord;
    private string? _autoOnlineBefore;
    private bool _autoOnlineUnavailable;

    public string MarkerPath => _markerPath;

    /// <summary>What the agent set <c>auto_online_blocks</c> to and keeps it at, or null when it does not manage it now.</summary>
    public string? AutoOnlineSetByAgent
    {
        get
        {
            lock (_lock)
            {
                return _autoOnlineBefore is null ? null : OnlineMovable;
            }
        }
    }

    /// <summary>Brings both in line with <paramref name="policy"/> for a running agent; the marker is written only when its word changes.</summary>
    public void Apply(MemorySnapshot snapshot, OnlinePolicy policy)
    {
        lock (_lock)
        {
            ApplyAutoOnline(policy.Kind == OnlinePolicyKind.Movable);
            var word = OnlinePlanner.WordForNewMemory(snapshot, policy);
            if (word == _markerWord && (word is null || File.Exists(_markerPath)))
            {
                return;
            }

            try
            {
                if (word is null)
                {
                    TryDelete(_markerPath);
                }
                else
                {
                    RuntimeFile.WriteWhole(_markerPath, word);
                }

                _markerWord = word;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                logger.LogWarning("Cannot write {Marker} ({Reason}); udev's rule may online new memory too", _markerPath, e.Message);
            }
        }
    }

    /// <summary>The agent stops: the marker goes, <c>auto_online_blocks</c> gets its old value back.</summary>
    public void Release()
    {
        lock (_lock)
        {
            TryDelete(_markerPath);
            _markerWord = null;
            ApplyAutoOnline(false);
        }
    }

    private void ApplyAutoOnline(bool wanted)
    {
        if (!manageAutoOnline)
        {
            return;
        }

        if (wanted && _autoOnlineBefore is null && !_autoOnlineUnavailable)
        {
            var current = writer.ReadAutoOnlineBlocks();
            if (current == OnlineMovable)
            {
                if (ReadBefore() is { } saved)
                {
                    // An earlier agent set it and did not live to give it back.
                    _autoOnlineBefore = saved;
                    logger.LogInformation("auto_online_blocks is online_movable as an earlier agent set it; {Before} comes back when the agent stops", saved);
                }

                return;
            }

            var result = current is null ? BlockWriteResult.Failed(Errno.ENOENT, "auto_online_blocks cannot be read") : writer.WriteAutoOnlineBlocks(OnlineMovable);
            if (result.Succeeded)
            {
                _autoOnlineBefore = current;
                SaveBefore(current!);
                logger.LogInformation("The kernel onlines hot-added memory as movable itself (auto_online_blocks: {Before} -> online_movable)", current);
            }
            else
            {
                _autoOnlineUnavailable = true;
                logger.LogInformation("auto_online_blocks cannot be set to online_movable ({Reason}); the agent onlines new memory itself", result.Message);
            }
        }
        else if (!wanted && _autoOnlineBefore is { } before)
        {
            var result = writer.WriteAutoOnlineBlocks(before);
            if (result.Succeeded)
            {
                logger.LogInformation("auto_online_blocks restored to {Before}", before);
            }
            else
            {
                logger.LogWarning("Cannot restore auto_online_blocks to {Before}: {Reason}", before, result.Message);
            }

            _autoOnlineBefore = null;
            TryDelete(_beforePath);
        }
    }

    private string? ReadBefore()
    {
        try
        {
            var word = File.ReadAllText(_beforePath).Trim();
            return word is "offline" or "online" or "online_kernel" ? word : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private void SaveBefore(string word)
    {
        try
        {
            RuntimeFile.WriteWhole(_beforePath, word + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Cannot record auto_online_blocks' value in {Path} ({Reason}); an agent restarted after a crash would not give it back", _beforePath, e.Message);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not there, or not ours to remove.
        }
    }
}
