namespace GuestAgent.Protocol.Model;

/// <summary>Something that could not be read or done, for a person.</summary>
public sealed record ProblemReport(string Subject, string Message);
