namespace Osprey.Detection.Sigma;

/// <summary><c>neq</c>: the field differs from every value; an absent field differs from all of them.</summary>
internal sealed class NotMatcher(SigmaMatcher inner) : SigmaMatcher
{
    public override bool MatchesMissing => !inner.MatchesMissing;

    public override int Cost => inner.Cost;

    public override bool Matches(ReadOnlySpan<char> value) => !inner.Matches(value);
}
