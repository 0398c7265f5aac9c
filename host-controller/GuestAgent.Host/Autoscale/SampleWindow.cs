namespace GuestAgent.Host.Autoscale;

/// <summary>The agent's reports the policy looks back over, oldest first: the shrink window, the trend window, and a margin.</summary>
public sealed class SampleWindow(AutoscaleLimits limits)
{
    private readonly List<GuestSample> _samples = [];

    public IReadOnlyList<GuestSample> Samples => _samples;

    public GuestSample? Latest => _samples.Count == 0 ? null : _samples[^1];

    /// <summary>Keeps <paramref name="sample"/> (reports arrive in order; one older than the newest is dropped) and forgets what no decision looks at any more.</summary>
    public void Add(GuestSample sample)
    {
        if (_samples.Count > 0 && sample.Time < _samples[^1].Time)
        {
            return;
        }

        _samples.Add(sample);
        var keep = sample.Time - (limits.Window > AutoscalePolicy.TrendWindow ? limits.Window : AutoscalePolicy.TrendWindow) - (limits.StaleAfter * 2);
        var old = _samples.FindIndex(s => s.Time >= keep);
        if (old > 0)
        {
            _samples.RemoveRange(0, old);
        }
    }

    /// <summary>Forgets everything (the reports no longer describe the VM: it restarted, or moved).</summary>
    public void Clear() => _samples.Clear();
}
