namespace GuestAgent.Memory.Capacity;

/// <summary>One reading taken while a DIMM is offlined: when, <c>MemAvailable</c>, and PSI's cumulative "full" stall.</summary>
public sealed record PressureReading(TimeSpan At, long? AvailableBytes, long? FullStallMicroseconds);
