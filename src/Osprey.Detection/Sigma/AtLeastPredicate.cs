namespace Osprey.Detection.Sigma;

/// <summary><c>N of x*</c> for N above 1: at least N operands hold (1 and all compile to OR and AND).</summary>
internal sealed class AtLeastPredicate(int count, IReadOnlyList<SigmaPredicate> operands) : SigmaPredicate
{
    private readonly SigmaPredicate[] _operands = [.. operands.OrderBy(o => o.Cost)];

    public override int Cost => _operands.Sum(o => o.Cost);

    public override bool Evaluate(SigmaEvaluationContext context)
    {
        var found = 0;
        for (var i = 0; i < _operands.Length; i++)
        {
            if (_operands[i].Evaluate(context) && ++found == count)
            {
                return true;
            }

            if (found + (_operands.Length - i - 1) < count)
            {
                return false;
            }
        }

        return false;
    }
}
