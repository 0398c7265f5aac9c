namespace GuestAgent.Protocol.Framing;

public enum LineReadStatus
{
    /// <summary>A complete line (without its newline).</summary>
    Line,

    /// <summary>A line longer than the limit; it was skipped up to its newline.</summary>
    TooLong,

    /// <summary>The peer closed the stream (a partial last line is dropped).</summary>
    EndOfStream,
}
