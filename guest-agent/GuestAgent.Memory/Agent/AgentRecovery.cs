namespace GuestAgent.Memory.Agent;

/// <summary>Something a restarted agent put right that an earlier one left half done (a DIMM left offline), for the host and people.</summary>
/// <param name="Dimm">The DIMM.</param>
/// <param name="Message">What was found and done.</param>
/// <param name="At">When.</param>
public sealed record AgentRecovery(string Dimm, string Message, DateTimeOffset At);
