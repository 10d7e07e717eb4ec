namespace Osprey.Detection.Sigma;

/// <summary>A lone <c>*</c> or <c>exists: true</c>: the field has a value, whatever it is.</summary>
internal sealed class AnyValueMatcher : SigmaMatcher
{
    public static readonly AnyValueMatcher Instance = new();

    public override int Cost => 0;

    public override bool Matches(ReadOnlySpan<char> value) => true;
}
