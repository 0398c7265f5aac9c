namespace GuestAgent.Protocol.Framing;

/// <summary>
/// Splits a byte stream into newline-terminated lines of at most <c>maxLineBytes</c>. A line over the limit is skipped
/// to its newline and reported once as <see cref="LineReadStatus.TooLong"/>, without holding it in memory. The
/// <see cref="ProtocolLimits.Sentinel"/> byte (0xFF) discards any partial line: the resync mark. Empty lines and a
/// trailing carriage return are dropped. Not thread-safe: one reader per stream.
/// </summary>
public sealed class JsonLineReader(Stream stream, int maxLineBytes)
{
    private readonly byte[] _buffer = new byte[Math.Min(maxLineBytes, 64 * 1024) + 1];
    private byte[] _line = new byte[Math.Min(maxLineBytes, 4096)];
    private int _lineLength;
    private int _start;
    private int _end;
    private bool _skipping;
    private long _skipped;

    public int MaxLineBytes { get; } = maxLineBytes;

    public async ValueTask<LineReadResult> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_start == _end)
            {
                _start = 0;
                _end = await stream.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
                if (_end == 0)
                {
                    _lineLength = 0;
                    return new LineReadResult(LineReadStatus.EndOfStream);
                }
            }

            var span = _buffer.AsSpan(_start, _end - _start);
            var stop = span.IndexOfAny((byte)'\n', ProtocolLimits.Sentinel);
            var chunk = stop < 0 ? span : span[..stop];
            Append(chunk);
            _start += chunk.Length;
            if (stop < 0)
            {
                continue;
            }

            var marker = span[stop];
            _start++;
            if (marker == ProtocolLimits.Sentinel)
            {
                _lineLength = 0;
                _skipping = false;
                _skipped = 0;
                continue;
            }

            if (_skipping)
            {
                var length = _skipped + 1;
                _skipping = false;
                _skipped = 0;
                _lineLength = 0;
                return new LineReadResult(LineReadStatus.TooLong, SkippedBytes: length);
            }

            var line = _line.AsMemory(0, _lineLength);
            _lineLength = 0;
            if (line.Length > 0 && line.Span[^1] == (byte)'\r')
            {
                line = line[..^1];
            }

            if (line.Length == 0)
            {
                continue;
            }

            return new LineReadResult(LineReadStatus.Line, line);
        }
    }

    private void Append(ReadOnlySpan<byte> chunk)
    {
        if (_skipping)
        {
            _skipped += chunk.Length;
            return;
        }

        if (_lineLength + chunk.Length + 1 > MaxLineBytes)
        {
            _skipping = true;
            _skipped = _lineLength + chunk.Length;
            _lineLength = 0;
            return;
        }

        if (_lineLength + chunk.Length > _line.Length)
        {
            Array.Resize(ref _line, Math.Min(MaxLineBytes, Math.Max(_line.Length * 2, _lineLength + chunk.Length)));
        }

        chunk.CopyTo(_line.AsSpan(_lineLength));
        _lineLength += chunk.Length;
    }
}
