namespace GuestAgent.Memory.Policy;

/// <summary>The onlining policy and its parameters.</summary>
/// <param name="Kind">Which policy.</param>
/// <param name="AutoMovableRatioPercent">For auto-movable: movable memory may be at most this percentage of kernel-zone
/// memory (the kernel's own default is 301).</param>
/// <param name="NumaAware">For auto-movable: apply the ratio per NUMA node (true) or over the whole guest.</param>
public sealed record OnlinePolicy(OnlinePolicyKind Kind, int AutoMovableRatioPercent = OnlinePolicy.DefaultRatioPercent, bool NumaAware = true)
{
    public const int DefaultRatioPercent = 301;

    public static OnlinePolicy Default { get; } = new(OnlinePolicyKind.Movable);

    public override string ToString() => Kind == OnlinePolicyKind.AutoMovable
        ? $"{OnlinePolicyNames.Format(Kind)} (ratio {AutoMovableRatioPercent}%{(NumaAware ? ", per node" : "")})"
        : OnlinePolicyNames.Format(Kind);
}
