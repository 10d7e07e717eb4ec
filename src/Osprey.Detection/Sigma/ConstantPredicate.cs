namespace Osprey.Detection.Sigma;

/// <summary>A condition decided when the rule was compiled, with why (for unsupported-rule reasons and warnings).</summary>
internal sealed class ConstantPredicate(bool value, string reason) : SigmaPredicate
{
    public bool Value => value;

    public string Reason => reason;

    public override int Cost => 0;

    public override bool Evaluate(SigmaEvaluationContext context) => value;
}
