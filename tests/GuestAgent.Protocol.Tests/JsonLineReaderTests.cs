using System.Text;
using GuestAgent.Protocol.Framing;

namespace GuestAgent.Protocol.Tests;

public class JsonLineReaderTests
{
    private static async Task<List<LineReadResult>> ReadAllAsync(byte[] input, int limit = 64, int chunk = int.MaxValue)
    {
        var reader = new JsonLineReader(new ChunkedStream(input, chunk), limit);
        var results = new List<LineReadResult>();
        while (true)
        {
            var r = await reader.ReadLineAsync(TestContext.Current.CancellationToken);
            results.Add(r with { Line = r.Line.ToArray() });
            if (r.Status == LineReadStatus.EndOfStream)
            {
                return results;
            }
        }
    }

    private static string Text(LineReadResult r) => Encoding.UTF8.GetString(r.Line.Span);

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(1)]
    [InlineData(3)]
    public async Task SplitsLinesWhateverTheReadSizes(int chunk)
    {
        var results = await ReadAllAsync("{\"a\":1}\n\n{\"b\":2}\r\n{\"c\":3}"u8.ToArray(), chunk: chunk);

        Assert.Equal(["{\"a\":1}", "{\"b\":2}"], results.Where(r => r.Status == LineReadStatus.Line).Select(Text));
        Assert.Equal(LineReadStatus.EndOfStream, results[^1].Status); // the unterminated last line is dropped
    }

    [Fact]
    public async Task ALineOverTheLimitIsSkippedAndReportedOnceThenReadingGoesOn()
    {
        var input = Encoding.UTF8.GetBytes(new string('x', 500) + "\n{\"ok\":1}\n");

        var results = await ReadAllAsync(input, limit: 64, chunk: 7);

        Assert.Equal(LineReadStatus.TooLong, results[0].Status);
        Assert.Equal(501, results[0].SkippedBytes);
        Assert.Equal("{\"ok\":1}", Text(results[1]));
    }

    [Fact]
    public async Task TheSentinelDiscardsAPartialLine()
    {
        var input = "{\"half\":\u0001"u8.ToArray().Concat(new byte[] { 0xFF }).Concat("{\"whole\":1}\n"u8.ToArray()).ToArray();

        var results = await ReadAllAsync(input);

        Assert.Equal("{\"whole\":1}", Text(results[0]));
    }

    [Fact]
    public async Task TheSentinelAlsoEndsSkippingAnOverlongLine()
    {
        var input = Encoding.UTF8.GetBytes(new string('x', 200)).Concat(new byte[] { 0xFF }).Concat("{\"a\":1}\n"u8.ToArray()).ToArray();

        var results = await ReadAllAsync(input);

        Assert.Equal("{\"a\":1}", Text(results[0]));
    }

    [Fact]
    public async Task AnExactlyMaximalLineIsAccepted()
    {
        var line = new string('y', 63);

        var results = await ReadAllAsync(Encoding.UTF8.GetBytes(line + "\n"), limit: 64);

        Assert.Equal(line, Text(results[0]));
    }

    /// <summary>Serves input in chunks of at most a given size, as a socket might.</summary>
    private sealed class ChunkedStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
    }
}
