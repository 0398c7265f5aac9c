namespace GuestAgent.Commands;

/// <summary>A request's arguments are missing, mistyped or out of range.</summary>
public sealed class BadArgumentException(string message) : Exception(message);
