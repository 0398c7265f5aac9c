namespace GuestAgent.Bench;

/// <summary>The one summary the figures use.</summary>
public static class Statistics
{
    /// <summary>The middle value (the upper one of the two middles for an even count), as every figure here reports it.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
