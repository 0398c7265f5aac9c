namespace GuestAgent.Memory.Capacity;

/// <summary>
/// <c>/proc/pressure/memory</c> (PSI): the share of time tasks were stalled waiting for memory (reclaim, compaction,
/// refaults). "some": at least one task stalled; "full": every runnable task stalled at once. Totals are cumulative
/// microseconds, so the stall over an interval is the difference of two readings.
/// </summary>
public sealed record MemoryPressure(double SomeAverage10, long SomeTotalMicroseconds, double FullAverage10, long FullTotalMicroseconds);
