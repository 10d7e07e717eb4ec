namespace Osprey.Agent.Uplink;

/// <summary>Exponential back-off with full jitter: after n failures, a random delay in [initial·2ⁿ⁻¹/2, initial·2ⁿ⁻¹], capped.</summary>
public sealed class Backoff(TimeSpan initial, TimeSpan max)
{
    private int _failures;

    public int Failures => _failures;

    public void Reset() => _failures = 0;

    public TimeSpan NextDelay()
    {
        _failures = Math.Min(_failures + 1, 30);
        var ceiling = Math.Min(max.TotalMilliseconds, initial.TotalMilliseconds * Math.Pow(2, _failures - 1));
        return TimeSpan.FromMilliseconds(ceiling / 2 + (Random.Shared.NextDouble() * ceiling / 2));
    }
}
