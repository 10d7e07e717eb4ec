namespace Osprey.Agent.Sensors.Files;

/// <summary>
/// A token bucket of bytes the file sensor may read for hashing: written files are hashed only while the budget
/// lasts, so a write storm costs bounded CPU and disk time (the events are still reported, without hashes).
/// Each file also costs a fixed overhead, so a flood of tiny files is bounded too.
/// </summary>
internal sealed class HashBudget
{
    public const long PerFileCost = 4096;
    private readonly double _bytesPerSecond;
    private readonly double _capacity;
    private readonly TimeProvider _time;
    private double _tokens;
    private long _last;

    public HashBudget(long bytesPerSecond, long largestFile, TimeProvider time)
    {
        _bytesPerSecond = bytesPerSecond;
        // The bucket holds at least the largest hashable file, or such a file could never be hashed.
        _capacity = Math.Max(bytesPerSecond, largestFile + PerFileCost);
        _time = time;
        _tokens = _capacity;
        _last = time.GetTimestamp();
    }

    public long Skipped { get; private set; }

    public bool TryTake(long bytes)
    {
        var now = _time.GetTimestamp();
        _tokens = Math.Min(_capacity, _tokens + _time.GetElapsedTime(_last, now).TotalSeconds * _bytesPerSecond);
        _last = now;
        var cost = bytes + PerFileCost;
        if (cost > _tokens)
        {
            Skipped++;
            return false;
        }
        _tokens -= cost;
        return true;
    }
}
