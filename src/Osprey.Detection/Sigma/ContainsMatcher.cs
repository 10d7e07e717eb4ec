using System.Buffers;

namespace Osprey.Detection.Sigma;

/// <summary>
/// The field contains one of the values: one vectorised multi-string search (<see cref="SearchValues{T}"/>), also for
/// a single value — with InvariantGlobalization, <c>IndexOf(…, OrdinalIgnoreCase)</c> is a scalar loop several times slower.
/// </summary>
internal sealed class ContainsMatcher : SigmaMatcher
{
    private readonly SearchValues<string>? _needles;
    private readonly string[] _texts;

    public ContainsMatcher(IReadOnlyList<string> needles, bool cased)
    {
        _texts = [.. needles.Distinct(cased ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase)];
        if (!_texts.Any(n => n.Length == 0))
        {
            _needles = SearchValues.Create(_texts, Comparison(cased));
        }
    }

    public override int Cost => 4;

    public override IReadOnlyCollection<string>? Literals => _needles is null ? null : _texts;

    public override bool Matches(ReadOnlySpan<char> value) => _needles is null || value.IndexOfAny(_needles) >= 0;
}
