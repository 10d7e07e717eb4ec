namespace Osprey.Node.Ingest;

/// <summary>
/// The telemetry sequence numbers a node holds for one agent, as sorted, disjoint, non-adjacent ranges.
/// Redelivered events fall inside a range and are skipped; the acknowledgement is the end of the range
/// that starts at 1.
/// </summary>
public sealed class SequenceRanges
{
    private readonly List<(ulong First, ulong Last)> _ranges;

    public SequenceRanges() => _ranges = [];

    public SequenceRanges(IEnumerable<(ulong First, ulong Last)> ranges)
    {
        _ranges = [];
        foreach (var (first, last) in ranges)
        {
            Add(first, last);
        }
    }

    public IReadOnlyList<(ulong First, ulong Last)> Ranges => _ranges;

    /// <summary>Highest sequence up to which everything from 1 is held.</summary>
    public ulong Acked => _ranges.Count > 0 && _ranges[0].First == 1 ? _ranges[0].Last : 0;

    /// <summary>Highest sequence held at all.</summary>
    public ulong Highest => _ranges.Count > 0 ? _ranges[^1].Last : 0;

    public SequenceRanges Clone() => new(_ranges);

    public bool Contains(ulong sequence)
    {
        int lo = 0, hi = _ranges.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var (first, last) = _ranges[mid];
            if (sequence < first)
            {
                hi = mid - 1;
            }
            else if (sequence > last)
            {
                lo = mid + 1;
            }
            else
            {
                return true;
            }
        }
        return false;
    }

    public void Add(ulong sequence) => Add(sequence, sequence);

    public void Add(ulong first, ulong last)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(first, last);
        // Fast path: appending right after the last range, the common case for in-order delivery.
        if (_ranges.Count > 0 && _ranges[^1].First <= first && first <= _ranges[^1].Last + 1)
        {
            _ranges[^1] = (_ranges[^1].First, Math.Max(_ranges[^1].Last, last));
            return;
        }
        var index = 0;
        while (index < _ranges.Count && _ranges[index].Last + 1 < first)
        {
            index++;
        }
        var end = index;
        while (end < _ranges.Count && _ranges[end].First <= last + 1)
        {
            first = Math.Min(first, _ranges[end].First);
            last = Math.Max(last, _ranges[end].Last);
            end++;
        }
        _ranges.RemoveRange(index, end - index);
        _ranges.Insert(index, (first, last));
    }
}
