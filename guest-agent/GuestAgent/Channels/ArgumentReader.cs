using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using GuestAgent.Commands;
using GuestAgent.Protocol.Messages;

namespace GuestAgent.Channels;

/// <summary>
/// Reads a request's <c>arguments</c> into its payload type, checking every member against the type's own JSON
/// metadata first, so that a bad argument is told in the protocol's words ("\"slot\" must be an integer"), never in
/// the serializer's.
/// </summary>
public static class ArgumentReader
{
    /// <summary>The arguments, or null when the request has none; throws <see cref="BadArgumentException"/>.</summary>
    public static T? Read<T>(ProtocolRequest request, JsonTypeInfo<T> type)
        where T : class
    {
        if (request.Arguments is not { } arguments)
        {
            return null;
        }

        var known = type.Properties.ToDictionary(p => p.Name, p => p.PropertyType, StringComparer.Ordinal);
        foreach (var member in arguments.EnumerateObject())
        {
            if (!known.TryGetValue(member.Name, out var propertyType))
            {
                throw new BadArgumentException(known.Count == 0
                    ? $"{request.Execute} takes no arguments"
                    : $"{request.Execute} has no argument \"{Truncate(member.Name)}\" (it takes: {string.Join(", ", known.Keys)})");
            }

            if (Problem(member.Value, propertyType) is { } problem)
            {
                throw new BadArgumentException($"{request.Execute}: \"{member.Name}\" must be {problem}");
            }
        }

        try
        {
            return arguments.Deserialize(type);
        }
        catch (JsonException)
        {
            throw new BadArgumentException($"{request.Execute}: the arguments do not fit their types");
        }
    }

    /// <summary>What the value should have been, or null when it fits (null itself fits: the argument is then left out).</summary>
    private static string? Problem(JsonElement value, Type type)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var target = Nullable.GetUnderlyingType(type) ?? type;
        return target switch
        {
            _ when target == typeof(int) => value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out _) ? null : "an integer from -2147483648 to 2147483647",
            _ when target == typeof(long) => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _) ? null : "an integer (bytes)",
            _ when target == typeof(bool) => value.ValueKind is JsonValueKind.True or JsonValueKind.False ? null : "true or false",
            _ when target == typeof(string) => value.ValueKind == JsonValueKind.String ? null : "a string",
            _ when typeof(IEnumerable<string>).IsAssignableFrom(target) =>
                value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String) ? null : "a list of strings",
            _ => null,
        };
    }

    private static string Truncate(string text) => text.Length <= 64 ? text : text[..64] + "…";
}
