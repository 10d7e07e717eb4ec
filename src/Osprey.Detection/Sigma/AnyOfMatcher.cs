namespace Osprey.Detection.Sigma;

/// <summary>At least one of the matchers matches (the values of one item, grouped by kind), cheapest first.</summary>
internal sealed class AnyOfMatcher(IReadOnlyList<SigmaMatcher> matchers) : SigmaMatcher
{
    private readonly SigmaMatcher[] _matchers = [.. matchers.OrderBy(m => m.Cost)];

    public override bool MatchesMissing => _matchers.Any(m => m.MatchesMissing);

    public override int Cost => _matchers.Sum(m => m.Cost);

    public override IReadOnlyCollection<string>? PathKeys
    {
        get
        {
            var keys = new List<string>();
            foreach (var matcher in _matchers)
            {
                if (matcher.PathKeys is not { } some)
                {
                    return null;
                }

                keys.AddRange(some);
            }

            return keys;
        }
    }

    public override IReadOnlyCollection<string>? Literals
    {
        get
        {
            var literals = new List<string>();
            foreach (var matcher in _matchers)
            {
                if (matcher.Literals is not { } some)
                {
                    return null;
                }

                literals.AddRange(some);
            }

            return literals;
        }
    }

    public override bool Matches(ReadOnlySpan<char> value)
    {
        foreach (var matcher in _matchers)
        {
            if (matcher.Matches(value))
            {
                return true;
            }
        }

        return false;
    }
}
