namespace Osprey.Detection.Sigma;

/// <summary>Every operand holds; cheapest first.</summary>
internal sealed class AndPredicate(IReadOnlyList<SigmaPredicate> operands) : SigmaPredicate
{
    private readonly SigmaPredicate[] _operands = [.. operands.OrderBy(o => o.Cost)];

    public IReadOnlyList<SigmaPredicate> Operands => _operands;

    public override int Cost => _operands.Sum(o => o.Cost);

    public override bool Evaluate(SigmaEvaluationContext context)
    {
        foreach (var operand in _operands)
        {
            if (!operand.Evaluate(context))
            {
                return false;
            }
        }

        return true;
    }
}
