namespace GuestAgent.Host.Workflows;

/// <summary>Whether a DIMM may be released now and how; <see cref="Refusal"/> says why not, <see cref="ForceNote"/> what <c>--force</c> goes past.</summary>
public sealed record RemovalDecision(bool Allowed, PrepareMode Mode, string? Refusal = null, string? ForceNote = null);
