using GuestAgent.Memory.Policy;
using GuestAgent.Memory.Sysfs;

namespace GuestAgent.Memory.Agent;

/// <summary>The guest agent's memory settings (configuration section <c>Memory</c>). Every option is in the README.</summary>
public sealed class MemoryAgentOptions
{
    public const string SectionName = "Memory";

    /// <summary>Where sysfs is mounted.</summary>
    public string SysfsRoot { get; set; } = Sysfs.SysfsRoot.DefaultPath;

    /// <summary><c>movable</c>, <c>auto-movable</c>, <c>kernel</c> or <c>none</c>.</summary>
    public string Policy { get; set; } = "movable";

    /// <summary>auto-movable: movable memory may be at most this percentage of kernel-zone memory.</summary>
    public int AutoMovableRatio { get; set; } = OnlinePolicy.DefaultRatioPercent;

    /// <summary>auto-movable: apply the ratio per NUMA node.</summary>
    public bool AutoMovableNumaAware { get; set; } = true;

    /// <summary>How often to rescan sysfs even when no uevent came (the safety net for lost events).</summary>
    public TimeSpan ResyncInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>After a uevent, how long to wait for the rest of a burst (a DIMM's blocks arrive one by one) before acting.</summary>
    public TimeSpan SettleDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Time limit for offlining one DIMM ahead of unplug; past it the kernel's page migration is stopped and the DIMM rolled back. 0 = none.</summary>
    public TimeSpan OfflineTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>Runtime state directory (tmpfs, emptied at boot): the record of DIMMs present at boot, sockets, markers.</summary>
    public string RuntimeDirectory { get; set; } = "/run/guest-agent";

    /// <summary>
    /// While the policy is <c>movable</c>, let the kernel online hot-added blocks itself by setting
    /// <c>auto_online_blocks</c> to <c>online_movable</c> (the previous value comes back when the agent stops or the
    /// policy changes); the agent then only handles what the kernel leaves offline. Off: the agent onlines every block.
    /// </summary>
    public bool KernelAutoOnline { get; set; } = true;

    public OnlinePolicy ToPolicy() => OnlinePolicyNames.TryParse(Policy, out var kind)
        ? new OnlinePolicy(kind, AutoMovableRatio, AutoMovableNumaAware)
        : throw new InvalidOperationException($"unknown policy '{Policy}'");

    public SysfsRoot ToSysfsRoot() => new(SysfsRoot);

    /// <summary>Every problem with these settings, each a sentence naming the option; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(SysfsRoot) || !Path.IsPathRooted(SysfsRoot))
        {
            errors.Add($"{SectionName}:SysfsRoot must be an absolute path (got '{SysfsRoot}')");
        }

        if (!OnlinePolicyNames.TryParse(Policy, out _))
        {
            errors.Add($"{SectionName}:Policy must be one of {OnlinePolicyNames.Choices} (got '{Policy}')");
        }

        if (AutoMovableRatio is < 1 or > 100_000)
        {
            errors.Add($"{SectionName}:AutoMovableRatio must be a percentage from 1 to 100000 (got {AutoMovableRatio})");
        }

        if (ResyncInterval < TimeSpan.FromSeconds(1) || ResyncInterval > TimeSpan.FromDays(1))
        {
            errors.Add($"{SectionName}:ResyncInterval must be from 00:00:01 to 1.00:00:00 (got {ResyncInterval})");
        }

        if (SettleDelay < TimeSpan.Zero || SettleDelay > TimeSpan.FromSeconds(10))
        {
            errors.Add($"{SectionName}:SettleDelay must be from 00:00:00 to 00:00:10 (got {SettleDelay})");
        }

        if (OfflineTimeout < TimeSpan.Zero || OfflineTimeout > TimeSpan.FromHours(1))
        {
            errors.Add($"{SectionName}:OfflineTimeout must be from 00:00:00 (no limit) to 01:00:00 (got {OfflineTimeout})");
        }

        if (string.IsNullOrWhiteSpace(RuntimeDirectory) || !Path.IsPathRooted(RuntimeDirectory))
        {
            errors.Add($"{SectionName}:RuntimeDirectory must be an absolute path (got '{RuntimeDirectory}')");
        }

        return errors;
    }
}
