using GuestAgent.Memory.Policy;
using GuestAgent.Memory.Proc;
using GuestAgent.Memory.Sysfs;
using GuestAgent.Memory.Udev;
using GuestAgent.Protocol.Sizes;

namespace GuestAgent.Memory.Agent;

/// <summary>The guest agent's memory settings (configuration section <c>Memory</c>). Every option is in the README.</summary>
public sealed class MemoryAgentOptions
{
    public const string SectionName = "Memory";

    /// <summary>Where sysfs is mounted.</summary>
    public string SysfsRoot { get; set; } = Sysfs.SysfsRoot.DefaultPath;

    /// <summary>Where procfs is mounted (the kernel's memory accounting, PSI, the agent's OOM score).</summary>
    public string ProcRoot { get; set; } = Proc.ProcRoot.DefaultPath;

    /// <summary>
    /// Memory that must stay available (<c>MemAvailable</c>, beyond the kernel's watermarks) after an unplug: a DIMM is
    /// ready only when what it holds fits into the rest with this much to spare. A size: <c>128M</c>, <c>1G</c>.
    /// </summary>
    public string UnplugReserve { get; set; } = "128M";

    /// <summary>
    /// While offlining, stop and roll back when every task has been stalled on memory (PSI "full") for at least this
    /// percentage of the last <see cref="PressureWindowSeconds"/> seconds. 0 turns the pressure check off.
    /// </summary>
    public int OfflinePressureLimit { get; set; } = 50;

    /// <summary>
    /// Where udev rules live, highest priority first (to report rules that online memory before the drop-in); null or
    /// empty: udev's own (<c>/etc/udev/rules.d</c>, <c>/run/udev/rules.d</c>, <c>/usr/lib/udev/rules.d</c>, <c>/lib/udev/rules.d</c>).
    /// </summary>
    public string[]? UdevRuleDirectories { get; set; }

    /// <summary>The window of <see cref="OfflinePressureLimit"/>.</summary>
    public const int PressureWindowSeconds = 5;

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

    public ProcRoot ToProcRoot() => new(ProcRoot);

    public UdevRuleDirectories ToUdevRuleDirectories() =>
        UdevRuleDirectories is { Length: > 0 } paths ? new(paths) : Udev.UdevRuleDirectories.Default;

    /// <summary><see cref="UnplugReserve"/> in bytes (valid options only).</summary>
    public long UnplugReserveBytes => UnplugReserve.Trim() == "0" ? 0 : ByteSize.Parse(UnplugReserve);

    /// <summary>Every problem with these settings, each a sentence naming the option; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(SysfsRoot) || !Path.IsPathRooted(SysfsRoot))
        {
            errors.Add($"{SectionName}:SysfsRoot must be an absolute path (got '{SysfsRoot}')");
        }

        if (string.IsNullOrWhiteSpace(ProcRoot) || !Path.IsPathRooted(ProcRoot))
        {
            errors.Add($"{SectionName}:ProcRoot must be an absolute path (got '{ProcRoot}')");
        }

        try
        {
            _ = UnplugReserveBytes;
        }
        catch (FormatException e)
        {
            errors.Add($"{SectionName}:UnplugReserve must be a size such as 128M or 1G ({e.Message})");
        }

        if (OfflinePressureLimit is < 0 or > 100)
        {
            errors.Add($"{SectionName}:OfflinePressureLimit must be a percentage from 0 (off) to 100 (got {OfflinePressureLimit})");
        }

        if ((UdevRuleDirectories ?? []).Any(d => string.IsNullOrWhiteSpace(d) || !Path.IsPathRooted(d)))
        {
            errors.Add($"{SectionName}:UdevRuleDirectories must be absolute paths (got '{string.Join("', '", UdevRuleDirectories ?? [])}')");
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
