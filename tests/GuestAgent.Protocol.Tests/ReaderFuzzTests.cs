using System.Text;
using GuestAgent.Protocol.Framing;
using GuestAgent.Protocol.Messages;

namespace GuestAgent.Protocol.Tests;

/// <summary>
/// 100,000 generated inputs (junk bytes, truncated and mutated requests, huge lines, sentinels) through the reader and
/// the parser: none may throw anything but a clean result, none may hang, and a valid request after the junk (behind a
/// sentinel) is always found.
/// </summary>
public class ReaderFuzzTests
{
    private static readonly string[] Seeds =
    [
        """{"execute":"get-model","id":1}""",
        """{"execute":"prepare-unplug","arguments":{"slot":3},"id":"x"}""",
        """{"execute":"set-policy","arguments":{"policy":"auto-movable","auto-movable-ratio":301}}""",
        """{"execute":"sync-delimited","arguments":{"id":99}}""",
    ];

    [Fact]
    public async Task HundredThousandGeneratedInputsNeitherCrashNorHangAndResyncAlwaysWorks()
    {
        var random = new Random(20261121);
        var lines = 0;
        for (var i = 0; i < 100_000; i++)
        {
            var junk = Generate(random);
            var input = junk.Concat(new byte[] { 0xFF }).Concat("{\"execute\":\"hello\",\"id\":\"resync\"}\n"u8.ToArray()).ToArray();
            var reader = new JsonLineReader(new MemoryStream(input), 1024);
            ProtocolRequest? last = null;
            while (true)
            {
                var read = await reader.ReadLineAsync(TestContext.Current.CancellationToken);
                if (read.Status == LineReadStatus.EndOfStream)
                {
                    break;
                }

                if (read.Status == LineReadStatus.Line)
                {
                    lines++;
                    last = ProtocolRequestParser.Parse(read.Line, out var error, out _);
                    Assert.True(last is not null || error is not null);
                }
            }

            Assert.Equal("hello", last?.Execute);
        }

        Assert.True(lines >= 100_000);
    }

    private static byte[] Generate(Random random)
    {
        switch (random.Next(6))
        {
            case 0:
                var bytes = new byte[random.Next(0, 200)];
                random.NextBytes(bytes);
                return bytes;
            case 1:
                var seed = Seeds[random.Next(Seeds.Length)];
                return Encoding.UTF8.GetBytes(seed[..random.Next(seed.Length)] + (random.Next(2) == 0 ? "\n" : ""));
            case 2:
                var mutated = Encoding.UTF8.GetBytes(Seeds[random.Next(Seeds.Length)] + "\n");
                for (var k = random.Next(1, 5); k > 0; k--)
                {
                    mutated[random.Next(mutated.Length - 1)] = (byte)random.Next(256);
                }

                return mutated;
            case 3:
                return Encoding.UTF8.GetBytes(new string('[', random.Next(1, 3000)) + "\n");
            case 4:
                return Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, random.Next(1, 5)).Select(_ => Seeds[random.Next(Seeds.Length)] + "\r\n")));
            default:
                return Encoding.UTF8.GetBytes("{\"execute\":\"" + new string('x', random.Next(0, 5000)) + "\"}\n");
        }
    }
}
