namespace GuestAgent.Host.Agent;

/// <summary>The guest agent cannot be reached, did not answer, or stopped in the middle of a request.</summary>
public sealed class AgentUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
