using GuestAgent.Memory.Capacity;

namespace GuestAgent.Memory.Readiness;

/// <summary>A readiness verdict and the reason a person can act on (e.g. <c>memory33 is in zone Normal</c>).</summary>
public sealed record DimmReadiness(ReadinessState State, string Reason)
{
    public bool IsReady => State == ReadinessState.Ready;

    /// <summary>For <see cref="ReadinessState.NotReady"/>: what stands in the way.</summary>
    public ReadinessBlocker? Blocker { get; init; }

    /// <summary>For a virtio-mem device: how many bytes of it the guest can give back now (see <see cref="VirtioMemReadiness"/>).</summary>
    public long? UnpluggableBytes { get; init; }

    /// <summary>For a virtio-mem device: what it has plugged, and where (see <see cref="VirtioMemAccounting"/>).</summary>
    public VirtioMemAccount? VirtioMem { get; init; }

    /// <summary>The capacity check, where it was made (every block Movable or offline).</summary>
    public CapacityVerdict? Capacity { get; init; }

    /// <summary>
    /// The same verdict for the host: same state and blocker, and the same reason unless both carry capacity figures
    /// (which move with every allocation in the guest and are no news by themselves).
    /// </summary>
    public bool IsSameVerdict(DimmReadiness other) =>
        State == other.State && Blocker == other.Blocker
        && ((Capacity is not null && other.Capacity is not null) || (UnpluggableBytes is not null && other.UnpluggableBytes is not null) || Reason == other.Reason);
}
