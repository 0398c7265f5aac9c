using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace GuestAgent.Protocol.Messages;

/// <summary>Pure: the bytes of replies and events (one JSON object, no newline).</summary>
public static class ProtocolMessages
{
    public static byte[] Return<T>(T value, JsonTypeInfo<T> type, JsonElement? id) => Write(writer =>
    {
        writer.WritePropertyName("return");
        JsonSerializer.Serialize(writer, value, type);
        WriteId(writer, id);
    });

    public static byte[] Error(ProtocolError error, JsonElement? id) => Write(writer =>
    {
        writer.WritePropertyName("error");
        JsonSerializer.Serialize(writer, error, ProtocolJsonContext.Default.ProtocolError);
        WriteId(writer, id);
    });

    /// <summary>An event with a QMP-style timestamp (<c>{"seconds", "microseconds"}</c> since the Unix epoch).</summary>
    public static byte[] Event<T>(string name, T data, JsonTypeInfo<T> type, DateTimeOffset time) => Write(writer =>
    {
        writer.WriteString("event", name);
        writer.WritePropertyName("data");
        JsonSerializer.Serialize(writer, data, type);
        writer.WriteStartObject("timestamp");
        var microseconds = (time - DateTimeOffset.UnixEpoch).Ticks / 10;
        writer.WriteNumber("seconds", microseconds / 1_000_000);
        writer.WriteNumber("microseconds", microseconds % 1_000_000);
        writer.WriteEndObject();
    });

    /// <summary>A request, for clients.</summary>
    public static byte[] Request<T>(string command, T? arguments, JsonTypeInfo<T>? type, long id) => Write(writer =>
    {
        writer.WriteString("execute", command);
        if (arguments is not null && type is not null)
        {
            writer.WritePropertyName("arguments");
            JsonSerializer.Serialize(writer, arguments, type);
        }

        writer.WriteNumber("id", id);
    });

    private static void WriteId(Utf8JsonWriter writer, JsonElement? id)
    {
        if (id is { } value)
        {
            writer.WritePropertyName("id");
            value.WriteTo(writer);
        }
    }

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
