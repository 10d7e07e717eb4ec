namespace Osprey.Detection.Sigma;

/// <summary>
/// <c>field|fieldref: other</c>: the field equals (or contains, starts with, ends with) the other field's value in the
/// same event; false when either is absent, and the opposite under neq.
/// </summary>
internal sealed class FieldRefPredicate(SigmaField subject, SigmaField other, SigmaModifier? mode, bool cased, bool negated) : SigmaPredicate
{
    private readonly StringComparison _comparison = cased ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;

    public override int Cost => 4;

    public override bool Evaluate(SigmaEvaluationContext context)
    {
        var left = context.Read(subject);
        var right = context.Read(other);
        if (!left.IsPresent || !right.IsPresent)
        {
            return negated;
        }

        var a = context.Span(left);
        var b = context.Span(right);
        var result = mode switch
        {
            SigmaModifier.Contains => a.Contains(b, _comparison),
            SigmaModifier.StartsWith => a.StartsWith(b, _comparison),
            SigmaModifier.EndsWith => a.EndsWith(b, _comparison),
            _ => a.Equals(b, _comparison),
        };
        return result != negated;
    }
}
