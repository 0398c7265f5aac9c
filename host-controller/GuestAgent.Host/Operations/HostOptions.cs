using GuestAgent.Protocol.Sizes;

namespace GuestAgent.Host.Operations;

/// <summary>Everything <c>guest-agent-host</c> is told on its command line (README, "Host controller options").</summary>
public sealed record HostOptions
{
    public required string QmpPath { get; init; }

    /// <summary>The host end of the VM's virtio-serial chardev socket; null: no agent.</summary>
    public string? AgentPath { get; init; }

    /// <summary>Default: <c>QMP-SOCKET-PATH.dimms.json</c> (beside the VM's other runtime files).</summary>
    public string? StatePath { get; init; }

    public int? Slots { get; init; }

    public long? MaxMemory { get; init; }

    public long Multiple { get; init; } = 128 * ByteSize.MiB;

    /// <summary>Assumed when the agent does not answer and has never told the block size.</summary>
    public long DefaultBlockSize { get; init; } = 128 * ByteSize.MiB;

    public TimeSpan AgentTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan QmpTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan PrepareTimeout { get; init; } = TimeSpan.FromMinutes(5);

    public TimeSpan UnplugTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan OnlineTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public string EffectiveStatePath => StatePath ?? QmpPath + ".dimms.json";
}
