namespace GuestAgent.Protocol.Model;

/// <summary>Something about a subject, for a person: what could not be read or done, or a warning.</summary>
public sealed record ProblemReport(string Subject, string Message);
