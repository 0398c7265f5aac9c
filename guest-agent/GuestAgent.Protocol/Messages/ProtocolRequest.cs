using System.Text.Json;

namespace GuestAgent.Protocol.Messages;

/// <summary>A parsed request: <c>{"execute": NAME, "arguments": {…}, "id": …}</c>. <c>id</c> is any JSON value, echoed back.</summary>
public sealed record ProtocolRequest(string Execute, JsonElement? Arguments, JsonElement? Id);
