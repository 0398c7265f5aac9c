namespace GuestAgent.Host.Hypervisor;

/// <summary>A removal's outcome, what the hypervisor said (the <c>_OST</c> status of a refusal), how long it took, and whether the backend is gone too.</summary>
public sealed record UnplugResult(UnplugOutcome Outcome, string Detail, TimeSpan Elapsed, bool LeftoversRemoved = true);
