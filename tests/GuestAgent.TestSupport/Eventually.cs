using System.Diagnostics;

namespace GuestAgent.TestSupport;

/// <summary>Waits for a condition that another task makes true, with a generous limit (this is not a timing test).</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? limit = null)
    {
        var watch = Stopwatch.StartNew();
        var max = limit ?? TimeSpan.FromSeconds(30);
        while (!condition())
        {
            if (watch.Elapsed > max)
            {
                throw new TimeoutException($"not true after {max.TotalSeconds} s: {what}");
            }

            await Task.Delay(10);
        }
    }
}
