using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace GuestAgent.Protocol.Client;

[JsonSerializable(typeof(JsonObject))]
internal sealed partial class ProtocolClientJsonContext : JsonSerializerContext;
