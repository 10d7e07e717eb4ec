using System.Buffers;

namespace Osprey.Detection.Sigma;

/// <summary>The field contains one of the values: one vectorised multi-string search (<see cref="SearchValues{T}"/>) for many.</summary>
internal sealed class ContainsMatcher : SigmaMatcher
{
    private readonly string? _single;
    private readonly SearchValues<string>? _many;
    private readonly StringComparison _comparison;
    private readonly bool _always;

    public ContainsMatcher(IReadOnlyList<string> needles, bool cased)
    {
        _comparison = Comparison(cased);
        _always = needles.Any(n => n.Length == 0);
        var distinct = needles.Distinct(cased ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase).ToArray();
        if (distinct.Length == 1)
        {
            _single = distinct[0];
        }
        else if (!_always)
        {
            _many = SearchValues.Create(distinct, _comparison);
        }
    }

    public override int Cost => 4;

    public override bool Matches(ReadOnlySpan<char> value) =>
        _always || (_single is not null ? value.Contains(_single, _comparison) : value.IndexOfAny(_many!) >= 0);
}
