using System.Text.Json.Serialization;
using GuestAgent.Protocol.Messages;
using GuestAgent.Protocol.Model;
using GuestAgent.Protocol.Payloads;


namespace GuestAgent.Protocol;

/// <summary>Source-generated JSON for every payload of the protocol: compact lines, kebab-case names, strict numbers.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.KebabCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(HelloArguments))]
[JsonSerializable(typeof(HelloReturn))]
[JsonSerializable(typeof(DimmArguments))]
[JsonSerializable(typeof(SetPolicyArguments))]
[JsonSerializable(typeof(PolicyReturn))]
[JsonSerializable(typeof(SyncArguments))]
[JsonSerializable(typeof(SyncReturn))]
[JsonSerializable(typeof(OperationReturn))]
[JsonSerializable(typeof(BlockEventData))]
[JsonSerializable(typeof(ReadinessEventData))]
[JsonSerializable(typeof(AgentReadyData))]
[JsonSerializable(typeof(AgentStoppingData))]
[JsonSerializable(typeof(ModelReport))]
[JsonSerializable(typeof(ProtocolError))]
[JsonSerializable(typeof(EmptyObject))]
[JsonSerializable(typeof(WatchMemoryArguments))]
[JsonSerializable(typeof(WatchMemoryReturn))]
[JsonSerializable(typeof(MemoryStatusData))]
public sealed partial class ProtocolJsonContext : JsonSerializerContext;
