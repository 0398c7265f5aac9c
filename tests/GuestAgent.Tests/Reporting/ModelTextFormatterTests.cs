using GuestAgent.Reporting;

namespace GuestAgent.Tests.Reporting;

public class ModelTextFormatterTests
{
    [Theory]
    [InlineData(0, "0B")]
    [InlineData(134217728, "128M")]
    [InlineData(1073741824, "1G")]
    [InlineData(1610612736, "1.5G")]
    [InlineData(3L << 40, "3T")]
    public void SizesLookLikeLsmems(long bytes, string expected) => Assert.Equal(expected, ModelTextFormatter.Size(bytes));
}
