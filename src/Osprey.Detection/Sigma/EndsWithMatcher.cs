namespace Osprey.Detection.Sigma;

/// <summary>
/// The field ends with one of the values. Suffixes with a slash (<c>/bin/bash</c>) are looked up by the value's
/// last path segment, so a list of fifty program names costs one lookup; the others are tried in turn.
/// </summary>
internal sealed class EndsWithMatcher : SigmaMatcher
{
    private const int LookupThreshold = 4;

    private readonly string[] _suffixes;
    private readonly string[] _scanned;
    private readonly Dictionary<string, string[]>.AlternateLookup<ReadOnlySpan<char>> _bySegment;
    private readonly bool _useLookup;
    private readonly StringComparison _comparison;

    public EndsWithMatcher(IReadOnlyList<string> suffixes, bool cased)
    {
        _comparison = Comparison(cased);
        _suffixes = [.. suffixes.Distinct(cased ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase)];
        var withSlash = _suffixes.Where(s => SigmaPathKeys.OfEndsWith(s) is not null).ToList();
        _useLookup = withSlash.Count >= LookupThreshold;
        if (_useLookup)
        {
            var bySegment = withSlash.GroupBy(s => SigmaPathKeys.OfEndsWith(s)!, StringComparer.OrdinalIgnoreCase)
                .ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.OrdinalIgnoreCase);
            _bySegment = bySegment.GetAlternateLookup<ReadOnlySpan<char>>();
            _scanned = [.. _suffixes.Except(withSlash)];
        }
        else
        {
            _scanned = _suffixes;
        }
    }

    public override int Cost => 1 + (_scanned.Length / 8);

    public override IReadOnlyCollection<string>? PathKeys =>
        _suffixes.All(s => SigmaPathKeys.OfEndsWith(s) is not null) ? [.. _suffixes.Select(s => SigmaPathKeys.OfEndsWith(s)!)] : null;

    public override IReadOnlyCollection<string>? Literals => _suffixes.Any(s => s.Length == 0) ? null : _suffixes;

    public override bool Matches(ReadOnlySpan<char> value)
    {
        if (_useLookup && _bySegment.TryGetValue(SigmaPathKeys.LastSegment(value), out var candidates))
        {
            foreach (var suffix in candidates)
            {
                if (value.EndsWith(suffix, _comparison))
                {
                    return true;
                }
            }
        }

        foreach (var suffix in _scanned)
        {
            if (value.EndsWith(suffix, _comparison))
            {
                return true;
            }
        }

        return false;
    }
}
