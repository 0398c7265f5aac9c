using System.Text.Json.Serialization;

namespace GuestAgent.Host.Operations;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.KebabCaseLower,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StatusReport))]
[JsonSerializable(typeof(string[]))]
internal sealed partial class HostJsonContext : JsonSerializerContext;
