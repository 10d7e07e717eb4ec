namespace Osprey.Detection.Sigma;

/// <summary>The field equals one of the values (case-insensitive unless cased); a set lookup for many values.</summary>
internal sealed class EqualsMatcher : SigmaMatcher
{
    private readonly string? _single;
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly StringComparison _comparison;
    private readonly bool _matchesEmpty;

    public EqualsMatcher(IReadOnlyList<string> values, bool cased)
    {
        _comparison = Comparison(cased);
        _matchesEmpty = values.Contains("");
        var nonEmpty = values.Where(v => v.Length > 0).Distinct(cased ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase).ToList();
        Values = nonEmpty;
        if (nonEmpty.Count == 1)
        {
            _single = nonEmpty[0];
        }
        else
        {
            _lookup = new HashSet<string>(nonEmpty, cased ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase).GetAlternateLookup<ReadOnlySpan<char>>();
        }
    }

    public IReadOnlyList<string> Values { get; }

    public override bool MatchesMissing => _matchesEmpty;

    public override int Cost => 1;

    public override IReadOnlyCollection<string>? PathKeys => _matchesEmpty ? null : [.. Values.Select(SigmaPathKeys.OfEquals)];

    public override IReadOnlyCollection<string>? Literals => _matchesEmpty ? null : Values;

    public override bool Matches(ReadOnlySpan<char> value) =>
        _single is not null ? value.Equals(_single, _comparison) : Values.Count > 0 && _lookup.Contains(value);
}
