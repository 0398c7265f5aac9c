using System.Text;
using GuestAgent.Memory.Uevents;

namespace GuestAgent.Memory.Tests.Uevents;

public class UeventParserTests
{
    private static byte[] Datagram(params string[] parts) => Encoding.UTF8.GetBytes(string.Join('\0', parts) + "\0");

    [Fact]
    public void ParsesAKernelMemoryAddEvent()
    {
        var e = UeventParser.Parse(Datagram("add@/devices/system/memory/memory32", "ACTION=add", "DEVPATH=/devices/system/memory/memory32", "SUBSYSTEM=memory", "SEQNUM=1234"))!;

        Assert.Equal("add", e.Action);
        Assert.Equal("/devices/system/memory/memory32", e.DevPath);
        Assert.Equal("memory", e.Subsystem);
        Assert.True(e.IsMemoryBlock(out var id));
        Assert.Equal(32, id);
        Assert.Equal("1234", e.Properties["SEQNUM"]);
    }

    [Fact]
    public void OtherSubsystemsAreNotMemoryBlocks()
    {
        var e = UeventParser.Parse(Datagram("add@/devices/LNXSYSTM:00/PNP0C80:00", "ACTION=add", "SUBSYSTEM=acpi"))!;
        Assert.False(e.IsMemoryBlock(out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("libudev\0\0\0\0")]
    [InlineData("no-at-sign\0ACTION=add\0")]
    [InlineData("@/devices\0")]
    [InlineData("add@\0")]
    public void MalformedDatagramsGiveNull(string text) => Assert.Null(UeventParser.Parse(Encoding.UTF8.GetBytes(text)));

    [Fact]
    public void AnActionThatContradictsItsHeaderIsRejected() =>
        Assert.Null(UeventParser.Parse(Datagram("add@/devices/system/memory/memory1", "ACTION=remove", "SUBSYSTEM=memory")));

    [Fact]
    public void RandomBytesNeverThrow()
    {
        var random = new Random(7);
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = new byte[random.Next(0, 300)];
            random.NextBytes(bytes);
            _ = UeventParser.Parse(bytes);
        }
    }
}
