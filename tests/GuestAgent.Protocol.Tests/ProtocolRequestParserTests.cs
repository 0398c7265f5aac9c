using System.Text;
using GuestAgent.Protocol.Messages;

namespace GuestAgent.Protocol.Tests;

public class ProtocolRequestParserTests
{
    private static (ProtocolRequest? Request, ProtocolError? Error, string? Id) Parse(string line)
    {
        var request = ProtocolRequestParser.Parse(Encoding.UTF8.GetBytes(line), out var error, out var id);
        return (request, error, id?.GetRawText());
    }

    [Fact]
    public void ParsesARequestWithArgumentsAndAnyId()
    {
        var (request, error, id) = Parse("""{"execute":"prepare-unplug","arguments":{"slot":2},"id":{"n":[1]}}""");

        Assert.Null(error);
        Assert.Equal("prepare-unplug", request!.Execute);
        Assert.Equal(2, request.Arguments!.Value.GetProperty("slot").GetInt32());
        Assert.Equal("""{"n":[1]}""", id);
    }

    [Theory]
    [InlineData("{bad", ErrorClasses.BadJson)]
    [InlineData("\u0001\u0002", ErrorClasses.BadJson)]
    [InlineData("[1,2]", ErrorClasses.BadRequest)]
    [InlineData("\"get-model\"", ErrorClasses.BadRequest)]
    [InlineData("""{"id":1}""", ErrorClasses.BadRequest)]
    [InlineData("""{"execute":5}""", ErrorClasses.BadRequest)]
    [InlineData("""{"execute":"get-model","arguments":[1]}""", ErrorClasses.BadRequest)]
    [InlineData("""{"execute":"get-model","extra":true}""", ErrorClasses.BadRequest)]
    [InlineData("""[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]""", ErrorClasses.BadJson)]
    public void BadLinesGetANamedErrorClass(string line, string errorClass)
    {
        var (request, error, _) = Parse(line);

        Assert.Null(request);
        Assert.Equal(errorClass, error!.Class);
        Assert.False(string.IsNullOrWhiteSpace(error.Desc));
    }

    [Fact]
    public void InvalidUtf8IsBadJson()
    {
        var request = ProtocolRequestParser.Parse(new byte[] { (byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)':', (byte)'1', (byte)'}' }, out var error, out _);

        Assert.Null(request);
        Assert.Equal(ErrorClasses.BadJson, error!.Class);
    }

    [Fact]
    public void TheIdOfABadRequestIsStillEchoed()
    {
        var (_, error, id) = Parse("""{"execute":7,"id":42}""");

        Assert.Equal(ErrorClasses.BadRequest, error!.Class);
        Assert.Equal("42", id);
    }
}
