using System.Text.Json.Serialization;

namespace GuestAgent.Host.State;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.KebabCaseLower,
    UseStringEnumConverter = true,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ControllerState))]
[JsonSerializable(typeof(LockHolder))]
internal sealed partial class StateJsonContext : JsonSerializerContext;
