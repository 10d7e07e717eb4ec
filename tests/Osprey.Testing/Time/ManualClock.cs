namespace Osprey.Testing.Time;

/// <summary>A clock that moves only when the test advances it (timers are not faked: use it where only "now" is read).</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
