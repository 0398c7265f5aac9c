using System.Text.Json.Serialization;

namespace GuestAgent.Protocol.Model;

/// <summary>Source-generated JSON for the model (no reflection, so it survives trimming). Names are kebab-case, as in QMP.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.KebabCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(ModelReport))]
public sealed partial class ModelJsonContext : JsonSerializerContext;
