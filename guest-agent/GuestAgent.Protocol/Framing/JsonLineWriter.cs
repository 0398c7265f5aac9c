namespace GuestAgent.Protocol.Framing;

/// <summary>Writes whole lines (JSON + newline), one at a time even when called from several tasks.</summary>
public sealed class JsonLineWriter(Stream stream) : IDisposable
{
    private readonly SemaphoreSlim _one = new(1, 1);

    public async ValueTask WriteLineAsync(ReadOnlyMemory<byte> json, CancellationToken cancellationToken, bool sentinelFirst = false)
    {
        await _one.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var line = new byte[json.Length + (sentinelFirst ? 2 : 1)];
            if (sentinelFirst)
            {
                line[0] = ProtocolLimits.Sentinel;
            }

            json.CopyTo(line.AsMemory(sentinelFirst ? 1 : 0));
            line[^1] = (byte)'\n';
            await stream.WriteAsync(line, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _one.Release();
        }
    }

    public void Dispose() => _one.Dispose();
}
