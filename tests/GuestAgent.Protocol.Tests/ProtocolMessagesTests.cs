using System.Text;
using System.Text.Json;
using GuestAgent.Protocol.Messages;
using GuestAgent.Protocol.Payloads;

namespace GuestAgent.Protocol.Tests;

public class ProtocolMessagesTests
{
    [Fact]
    public void AReturnEchoesTheIdAsGiven()
    {
        using var id = JsonDocument.Parse("\"abc\"");

        var bytes = ProtocolMessages.Return(new SyncReturn { Id = 7 }, ProtocolJsonContext.Default.SyncReturn, id.RootElement);

        Assert.Equal("""{"return":{"id":7},"id":"abc"}""", Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public void AnErrorWithoutIdHasNoId()
    {
        var bytes = ProtocolMessages.Error(new ProtocolError(ErrorClasses.OperationFailed, "memory33: busy", "EBUSY"), null);

        Assert.Equal("""{"error":{"class":"OperationFailed","desc":"memory33: busy","errno":"EBUSY"}}""", Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public void EventsCarryAQmpTimestamp()
    {
        var bytes = ProtocolMessages.Event(EventNames.BlockOnlined, new BlockEventData { Block = "memory32", Zone = "Movable" }, ProtocolJsonContext.Default.BlockEventData,
            DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123));

        Assert.Equal(
            """{"event":"BLOCK_ONLINED","data":{"block":"memory32","zone":"Movable"},"timestamp":{"seconds":1700000000,"microseconds":123000}}""",
            Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public void ArgumentsRefuseUnknownMembersButRepliesTolerateThem()
    {
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize("""{"slot":1,"sloot":2}""", ProtocolJsonContext.Default.DimmArguments));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize("""{"slot":"1"}""", ProtocolJsonContext.Default.DimmArguments));

        var hello = JsonSerializer.Deserialize("""{"protocol":1,"agent":"a","version":"v","capabilities":[],"block-size":1,"policy":"movable","future":true}""", ProtocolJsonContext.Default.HelloReturn);
        Assert.Equal(1, hello!.Protocol);
    }
}
