namespace GuestAgent.Memory.Model;

/// <summary>Something the reader could not read; the model is still built from the rest.</summary>
/// <param name="Subject">What it concerns, e.g. <c>memory40</c> or <c>PNP0C80:03</c>.</param>
/// <param name="Message">What happened, for a person.</param>
public sealed record ReadProblem(string Subject, string Message);
