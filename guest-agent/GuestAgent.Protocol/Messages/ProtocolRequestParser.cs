using System.Text.Json;

namespace GuestAgent.Protocol.Messages;

/// <summary>Pure: turns one line into a request, or the error to reply with (and the id, when one could be read).</summary>
public static class ProtocolRequestParser
{
    public static ProtocolRequest? Parse(ReadOnlyMemory<byte> line, out ProtocolError? error, out JsonElement? id)
    {
        id = null;

        // JsonDocument checks the UTF-8 of strings only when they are read, so a junk byte inside a string would throw
        // later: refuse the whole line here.
        if (!System.Text.Unicode.Utf8.IsValid(line.Span))
        {
            error = new ProtocolError(ErrorClasses.BadJson, "not valid UTF-8");
            return null;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            error = new ProtocolError(ErrorClasses.BadJson, "not JSON: " + e.Message);
            return null;
        }
        catch (ArgumentException e)
        {
            error = new ProtocolError(ErrorClasses.BadJson, "not UTF-8 JSON: " + e.Message);
            return null;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = new ProtocolError(ErrorClasses.BadRequest, $"a request is a JSON object, not {root.ValueKind.ToString().ToLowerInvariant()}");
                return null;
            }

            if (root.TryGetProperty("id", out var idElement))
            {
                id = idElement.Clone();
            }

            if (!root.TryGetProperty("execute", out var execute) || execute.ValueKind != JsonValueKind.String)
            {
                error = new ProtocolError(ErrorClasses.BadRequest, "a request needs \"execute\": a command name (string)");
                return null;
            }

            JsonElement? arguments = null;
            if (root.TryGetProperty("arguments", out var args))
            {
                if (args.ValueKind != JsonValueKind.Object)
                {
                    error = new ProtocolError(ErrorClasses.BadRequest, "\"arguments\" must be an object");
                    return null;
                }

                arguments = args.Clone();
            }

            foreach (var property in root.EnumerateObject())
            {
                if (property.Name is not ("execute" or "arguments" or "id"))
                {
                    error = new ProtocolError(ErrorClasses.BadRequest, $"unexpected member \"{property.Name}\"");
                    return null;
                }
            }

            error = null;
            return new ProtocolRequest(execute.GetString()!, arguments, id);
        }
    }
}
