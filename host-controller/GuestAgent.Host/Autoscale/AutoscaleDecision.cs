namespace GuestAgent.Host.Autoscale;

/// <summary>A decision with its reason, for the log: <c>grow 256 MiB: available 9 % &lt; buffer 20 %, PSI some 34 %</c>.</summary>
/// <param name="Action">What to do.</param>
/// <param name="Bytes">By how much (grow), or how much the chosen devices free (shrink).</param>
/// <param name="Devices">For a shrink by DIMMs: which (their ids); for virtio-mem: its id.</param>
/// <param name="Reason">Why, with the inputs that decided it.</param>
public sealed record AutoscaleDecision(AutoscaleAction Action, long Bytes, IReadOnlyList<string> Devices, string Reason)
{
    /// <summary>A grow past the guest's plug budget: the smallest step for a guest running out (carried out with force).</summary>
    public bool PastBudget { get; init; }

    public static AutoscaleDecision Hold(string reason) => new(AutoscaleAction.Hold, 0, [], reason);
}
