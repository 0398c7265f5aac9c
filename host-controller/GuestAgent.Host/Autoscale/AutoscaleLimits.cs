namespace GuestAgent.Host.Autoscale;

/// <summary>What <c>autoscale</c> is told: the bounds, the buffer it keeps, what counts as pressure, how long the guest must be comfortable before memory goes, and how much changes per step.</summary>
public sealed record AutoscaleLimits
{
    /// <summary>The VM never goes below this (nor below its boot memory).</summary>
    public required long Min { get; init; }

    /// <summary>The VM never goes above this (nor beyond maxmem, its slots, or the guest's plug budget).</summary>
    public required long Max { get; init; }

    /// <summary>The share of the guest's memory that should stay available (MemAvailable / MemTotal), in percent: below it, grow.</summary>
    public int BufferPercent { get; init; } = 20;

    /// <summary>PSI "some" over the last 10 s, in percent, at or above which the guest is under pressure: grow.</summary>
    public int PressurePercent { get; init; } = 10;

    /// <summary>How many percentage points above the buffer the guest must stay, for the whole window, before anything goes; and a shrink must leave it at least halfway there.</summary>
    public int HysteresisPoints { get; init; } = 10;

    /// <summary>How long the guest must have been comfortable (and no change made) before memory goes.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The most one step grows or shrinks the VM by.</summary>
    public long Step { get; init; } = 1L << 30;

    /// <summary>How often the agent reports (and decisions are made).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A report older than this is not fresh: no decision is made on it.</summary>
    public TimeSpan StaleAfter => Interval * 5;

    /// <summary>After this many failed steps in a row, autoscale stops acting (and says so) until restarted.</summary>
    public int MaxFailures { get; init; } = 5;

    /// <summary>Why these limits cannot work, for people; null when they can.</summary>
    public string? Problem() =>
        Min <= 0 ? "--min must be a positive size"
        : Max < Min ? "--max must be at least --min"
        : BufferPercent is < 1 or > 90 ? "--buffer must be a percentage from 1 to 90"
        : PressurePercent is < 1 or > 100 ? "--pressure must be a percentage from 1 to 100"
        : BufferPercent + HysteresisPoints >= 100 ? "--buffer plus the hysteresis (10 points) must stay below 100"
        : Window < TimeSpan.FromSeconds(5) || Window > TimeSpan.FromHours(24) ? "--window must be from 5 s to 24 h"
        : Interval < TimeSpan.FromMilliseconds(200) || Interval > TimeSpan.FromMinutes(1) ? "--interval must be from 0.2 s to 60 s"
        : Step <= 0 ? "--step must be a positive size"
        : MaxFailures < 1 ? "--max-failures must be at least 1"
        : null;
}
