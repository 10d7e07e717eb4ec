namespace Osprey.Detection.Sigma;

/// <summary><c>field: null</c> — the event has no value (or an empty one) for the field.</summary>
internal sealed class NullMatcher : SigmaMatcher
{
    public static readonly NullMatcher Instance = new();

    public override bool MatchesMissing => true;

    public override int Cost => 0;

    public override bool Matches(ReadOnlySpan<char> value) => value.IsEmpty;
}
