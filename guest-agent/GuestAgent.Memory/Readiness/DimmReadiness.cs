namespace GuestAgent.Memory.Readiness;

/// <summary>A readiness verdict and the reason a person can act on (e.g. <c>memory33 is in zone Normal</c>).</summary>
public sealed record DimmReadiness(ReadinessState State, string Reason)
{
    public bool IsReady => State == ReadinessState.Ready;
}
