namespace Osprey.Detection.Sigma;

/// <summary>One field tested by a matcher.</summary>
internal sealed class FieldPredicate(SigmaField subject, SigmaMatcher matcher) : SigmaPredicate
{
    public SigmaField Field => subject;

    public SigmaMatcher Matcher => matcher;

    public override int Cost => 1 + matcher.Cost;

    public override bool Evaluate(SigmaEvaluationContext context)
    {
        var value = context.Read(subject);
        return value.IsPresent ? matcher.Matches(context.Span(value)) : matcher.MatchesMissing;
    }
}
