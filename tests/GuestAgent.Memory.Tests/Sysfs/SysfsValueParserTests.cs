using GuestAgent.Memory.Model;
using GuestAgent.Memory.Sysfs;

namespace GuestAgent.Memory.Tests.Sysfs;

public class SysfsValueParserTests
{
    [Theory]
    [InlineData("8000000\n", 0x8000000L)]
    [InlineData("00000020", 0x20L)]
    [InlineData("0x80000000", 0x80000000L)]
    [InlineData("  1f ", 0x1fL)]
    public void ParsesHexAsSysfsPrintsIt(string text, long expected) => Assert.Equal(expected, SysfsValueParser.ParseHex(text));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("xyz")]
    [InlineData("12345678901234567")]
    [InlineData("-1")]
    public void BadHexIsNull(string? text) => Assert.Null(SysfsValueParser.ParseHex(text));

    [Theory]
    [InlineData("online\n", BlockState.Online)]
    [InlineData("offline", BlockState.Offline)]
    [InlineData("going-offline", BlockState.GoingOffline)]
    [InlineData("online_movable", BlockState.Unknown)]
    [InlineData(null, BlockState.Unknown)]
    public void ParsesState(string? text, BlockState expected) => Assert.Equal(expected, SysfsValueParser.ParseState(text));

    [Fact]
    public void ParsesZonesInOrderAndSharesKnownNames()
    {
        var zones = SysfsValueParser.ParseZones("Normal Movable\n");
        Assert.Equal(["Normal", "Movable"], zones);
        Assert.Same(ZoneNames.Movable, zones[1]);
        Assert.Empty(SysfsValueParser.ParseZones(null));
        Assert.Equal(["none"], SysfsValueParser.ParseZones("none"));
    }

    [Theory]
    [InlineData("Movable\n", "Movable")]
    [InlineData("Normal", "Normal")]
    [InlineData("DMA32", "DMA32")]
    [InlineData("none", null)] // online across zones: left to state
    [InlineData("Normal Movable", null)] // offline: the default zone, then the others allowed
    [InlineData("Movable Normal\n", null)]
    [InlineData("DMA32 Normal Movable", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void AnOnlineBlocksZoneIsOneZoneNamedAlone(string? text, string? zone) =>
        Assert.Equal(zone, SysfsValueParser.OnlineZone(text) is { } zones ? Assert.Single(zones) : null);

    [Theory]
    [InlineData("1", true)]
    [InlineData("Y", true)]
    [InlineData("0\n", false)]
    [InlineData("N", false)]
    [InlineData("maybe", null)]
    public void ParsesBooleans(string text, bool? expected) => Assert.Equal(expected, SysfsValueParser.ParseBool(text));

    [Theory]
    [InlineData("0x01\n", 1)]
    [InlineData("0x0A", 10)]
    [InlineData("7", 7)]
    public void ParsesAcpiUidsAsQemuAndOtherFirmwareGiveThem(string text, int expected) => Assert.Equal(expected, SysfsValueParser.ParseAcpiUid(text));

    [Theory]
    [InlineData("")]
    [InlineData("0xZZ")]
    [InlineData("-3")]
    [InlineData("slot")]
    public void BadAcpiUidsAreNull(string text) => Assert.Null(SysfsValueParser.ParseAcpiUid(text));

    [Theory]
    [InlineData("memory32", 32)]
    [InlineData("/sys/devices/system/memory/memory7", 7)]
    [InlineData("../../../../system/memory/memory0", 0)]
    public void ParsesBlockNames(string text, int expected)
    {
        Assert.True(MemoryBlockName.TryParse(text, out var id));
        Assert.Equal(expected, id);
    }

    [Theory]
    [InlineData("memory")]
    [InlineData("memoryx")]
    [InlineData("block_size_bytes")]
    [InlineData("memory1234567890")]
    [InlineData("memory-1")]
    public void RejectsOtherNames(string text) => Assert.False(MemoryBlockName.TryParse(text, out _));
}
