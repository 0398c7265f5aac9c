namespace GuestAgent.Protocol.Framing;

/// <summary>One read from a <see cref="JsonLineReader"/>.</summary>
/// <param name="Status">What was read.</param>
/// <param name="Line">The line's bytes when <paramref name="Status"/> is <see cref="LineReadStatus.Line"/>; valid until the next read.</param>
/// <param name="SkippedBytes">For <see cref="LineReadStatus.TooLong"/>: how long the line was.</param>
public readonly record struct LineReadResult(LineReadStatus Status, ReadOnlyMemory<byte> Line = default, long SkippedBytes = 0);
