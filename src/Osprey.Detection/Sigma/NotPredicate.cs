namespace Osprey.Detection.Sigma;

/// <summary>The operand does not hold.</summary>
internal sealed class NotPredicate(SigmaPredicate operand) : SigmaPredicate
{
    public SigmaPredicate Operand => operand;

    public override int Cost => operand.Cost;

    public override bool Evaluate(SigmaEvaluationContext context) => !operand.Evaluate(context);
}
