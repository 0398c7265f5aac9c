using System.Text.Json.Serialization;

namespace GuestAgent.Host.State;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.KebabCaseLower,
    UseStringEnumConverter = true,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ControllerState))]
internal sealed partial class StateJsonContext : JsonSerializerContext;
