namespace Osprey.Detection.Sigma;

/// <summary>Every matcher matches (the <c>all</c> modifier), cheapest first.</summary>
internal sealed class AllOfMatcher(IReadOnlyList<SigmaMatcher> matchers) : SigmaMatcher
{
    private readonly SigmaMatcher[] _matchers = [.. matchers.OrderBy(m => m.Cost)];

    public override bool MatchesMissing => _matchers.All(m => m.MatchesMissing);

    public override int Cost => _matchers.Sum(m => m.Cost);

    public override IReadOnlyCollection<string>? PathKeys => _matchers.Select(m => m.PathKeys).FirstOrDefault(k => k is not null);

    public override IReadOnlyCollection<string>? Literals =>
        _matchers.Select(m => m.Literals).Where(l => l is { Count: > 0 }).MaxBy(l => l!.Min(t => t.Length));

    public override bool Matches(ReadOnlySpan<char> value)
    {
        foreach (var matcher in _matchers)
        {
            if (!matcher.Matches(value))
            {
                return false;
            }
        }

        return true;
    }
}
