namespace Osprey.Detection.Sigma;

/// <summary>The field starts with one of the values.</summary>
internal sealed class StartsWithMatcher(IReadOnlyList<string> prefixes, bool cased) : SigmaMatcher
{
    private readonly string[] _prefixes = [.. prefixes];
    private readonly StringComparison _comparison = Comparison(cased);

    public override int Cost => 1 + (_prefixes.Length / 8);

    public override IReadOnlyCollection<string>? Literals => _prefixes.Any(p => p.Length == 0) ? null : _prefixes;

    public override bool Matches(ReadOnlySpan<char> value)
    {
        foreach (var prefix in _prefixes)
        {
            if (value.StartsWith(prefix, _comparison))
            {
                return true;
            }
        }

        return false;
    }
}
