using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace GuestAgent.DBus;

[JsonSerializable(typeof(JsonObject))]
internal sealed partial class DBusJsonContext : JsonSerializerContext;
