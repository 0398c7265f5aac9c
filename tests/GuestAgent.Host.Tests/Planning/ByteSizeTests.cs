using GuestAgent.Protocol.Sizes;

namespace GuestAgent.Host.Tests.Planning;

public sealed class ByteSizeTests
{
    [Theory]
    [InlineData("512M", 512L << 20)]
    [InlineData("1G", 1L << 30)]
    [InlineData("1.5GiB", 1536L << 20)]
    [InlineData("1400M", 1400L << 20)]
    [InlineData("256", 256L << 20)]
    [InlineData(" 2 GB ", 2L << 30)]
    [InlineData("268435456B", 256L << 20)]
    [InlineData("1t", 1L << 40)]
    [InlineData("131072K", 128L << 20)]
    public void ReadsSizesWithUnits(string text, long bytes) => Assert.Equal(bytes, ByteSize.Parse(text));

    [Theory]
    [InlineData("", "required")]
    [InlineData("0", "larger than zero")]
    [InlineData("0G", "larger than zero")]
    [InlineData("-1G", "negative")]
    [InlineData("1.5B", "whole number")]
    [InlineData("12X", "unknown unit")]
    [InlineData("G", "not a size")]
    [InlineData("1..5G", "not a size")]
    [InlineData("99999999999999999999T", "too large")]
    [InlineData("+1G", "not a size")]
    public void RefusesWhatIsNotASize(string text, string message)
    {
        var e = Assert.Throws<FormatException>(() => ByteSize.Parse(text));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1L << 30, "1 GiB")]
    [InlineData(1408L << 20, "1408 MiB")]
    [InlineData(1000, "1000 B")]
    public void FormatsInTheLargestEvenUnit(long bytes, string text) => Assert.Equal(text, ByteSize.Format(bytes));
}
