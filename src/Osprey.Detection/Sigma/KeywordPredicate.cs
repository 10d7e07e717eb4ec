namespace Osprey.Detection.Sigma;

/// <summary>A keyword item: the matcher matches at least one of the record kind's keyword fields.</summary>
internal sealed class KeywordPredicate(IReadOnlyList<SigmaField> fields, SigmaMatcher matcher) : SigmaPredicate
{
    private readonly SigmaField[] _fields = [.. fields];

    public IReadOnlyList<SigmaField> Fields => _fields;

    public SigmaMatcher Matcher => matcher;

    public override int Cost => 1 + (_fields.Length * matcher.Cost);

    public override bool Evaluate(SigmaEvaluationContext context)
    {
        foreach (var field in _fields)
        {
            var value = context.Read(field);
            if (value.IsPresent && matcher.Matches(context.Span(value)))
            {
                return true;
            }
        }

        return false;
    }
}
